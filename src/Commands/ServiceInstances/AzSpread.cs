using System.Text.Json;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>An AZ of the current cloud config and the hosts in it.</summary>
public sealed record CloudAz(string Name, IReadOnlyList<string> Hosts);

/// <summary>The AZs of the cloud config version <paramref name="Version"/>: what parameter <c>azs</c> is checked against.</summary>
public sealed record CloudAzs(int Version, IReadOnlyList<CloudAz> Azs)
{
    public string? AzOf(string host) => Azs.FirstOrDefault(a => a.Hosts.Contains(host))?.Name;

    public override string ToString() => $"cloud config version {Version} (its AZs: {string.Join(", ", Azs.Select(a => a.Name))})";
}

/// <summary>
/// The <c>azs</c> parameter of a dedicated instance: the AZs its servers (the primary and its replicas) are spread over,
/// each AZ getting at least one. A non-empty list of distinct AZ names of the current cloud config, no more of them than
/// servers (<c>instances</c>), and holding the AZ of the primary's host: the primary never moves, its replicas do.
/// At provisioning the primary goes to a host of the first AZ named. Without it the replicas stay in the primary's AZ.
/// </summary>
public static class AzSpread
{
    public const string Parameter = "azs";

    /// <summary>The AZs the parameters name (null when none). Call on validated parameters only.</summary>
    public static IReadOnlyList<string>? Of(string? parameters)
    {
        if (string.IsNullOrWhiteSpace(parameters)) return null;
        using var document = JsonDocument.Parse(parameters);
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(Parameter, out var azs)
               && azs.ValueKind == JsonValueKind.Array
            ? azs.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToList()
            : null;
    }

    /// <summary>
    /// Every reason the <c>azs</c> the instance will have is refused: the list <paramref name="request"/> names (when it
    /// names one), else the one it has. <paramref name="merged"/>: the parameters the instance will have (its own with
    /// the request's over them); <paramref name="cloud"/>: the current cloud config's AZs (null: none uploaded);
    /// <paramref name="primaryHost"/>: the host of its primary (null: not placed yet).
    /// </summary>
    public static IReadOnlyList<string> Refusals(JsonElement? request, string? merged, CloudAzs? cloud, string? primaryHost)
    {
        if (request is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty(Parameter, out var given) && given.ValueKind != JsonValueKind.Null
            && ShapeRefusals(given) is { Count: > 0 } malformed)
            return malformed;
        if (Of(merged) is not { } azs) return [];
        if (cloud is null)
            return [$"parameters.{Parameter} needs a cloud config with AZs, and none was uploaded (PUT /api/v1/cloud-config)."];
        var refusals = azs.Where(az => cloud.Azs.All(a => a.Name != az))
            .Select(az => $"parameters.{Parameter} names '{az}', which is not an AZ of {cloud}.").ToList();
        var servers = InstanceCount.Of(merged);
        if (azs.Count > servers)
            refusals.Add($"parameters.{Parameter} names {azs.Count} AZs, more than the instance's {servers} server{(servers == 1 ? "" : "s")} " +
                         $"(parameters.{InstanceCount.Parameter}): every AZ needs a server, so raise {InstanceCount.Parameter} or name fewer AZs.");
        if (primaryHost is null) return refusals;
        if (cloud.AzOf(primaryHost) is not { } primaryAz)
            refusals.Add($"parameters.{Parameter} cannot be honoured: the primary's host {primaryHost} is in no AZ of {cloud}.");
        else if (!azs.Contains(primaryAz))
            refusals.Add($"parameters.{Parameter} must include {primaryAz}, the AZ of the primary's host {primaryHost}: the primary never moves.");
        return refusals;
    }

    private static List<string> ShapeRefusals(JsonElement given)
    {
        if (given.ValueKind != JsonValueKind.Array)
            return [$"parameters.{Parameter} must be a non-empty list of distinct AZ names, not {Shown(given)}."];
        if (given.GetArrayLength() == 0) return [$"parameters.{Parameter} must name at least one AZ, not []."];
        var refusals = given.EnumerateArray().Select((az, i) => (az, i))
            .Where(x => x.az.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(x.az.GetString()))
            .Select(x => $"parameters.{Parameter}[{x.i}] must be an AZ name (a non-empty string), not {Shown(x.az)}.").ToList();
        refusals.AddRange(given.EnumerateArray().Where(az => az.ValueKind == JsonValueKind.String).GroupBy(az => az.GetString())
            .Where(g => g.Count() > 1).Select(g => $"parameters.{Parameter} names '{g.Key}' {g.Count()} times: each AZ once."));
        return refusals;
    }

    // What the request sent, cut short: a hostile value is named, never echoed whole.
    private static string Shown(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 60 ? text : text[..57] + "...";
    }
}
