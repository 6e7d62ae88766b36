using System.Globalization;
using System.Text;
using EventSourced.Broker.Ops;
using EventSourced.Commands.CloudConfigs;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Yaml;

namespace EventSourced.Broker.CloudConfigs;

/// <summary>A version of the cloud config as it was uploaded.</summary>
public sealed record CloudConfigView(int Version, string Yaml, string Sha256, string UpdatedBy, DateTimeOffset UpdatedAt);

/// <summary>The cloud config now current; <see cref="Changed"/> false when the upload was that text already.</summary>
public sealed record CloudConfigAccepted(int Version, bool Changed);

/// <summary>An upload that is no valid cloud config: every problem, as <c>file:line:column: path: message</c>.</summary>
public sealed record CloudConfigInvalid(string Error, string Description, IReadOnlyList<string> Errors);

/// <summary>
/// <c>GET/PUT /api/v1/cloud-config</c>: the operator's cloud config (AZs and their hosts, VM and disk types, networks),
/// versioned as events. PUT takes the YAML itself (or JSON, which is YAML too), validated whole before anything is recorded, and an optional
/// <c>If-Match: "&lt;version&gt;"</c> so that two operators editing at once cannot undo each other.
/// </summary>
public static class CloudConfigEndpoints
{
    public const string Path = "/cloud-config";
    public const string FileName = "cloud-config.yml";
    private const int MaxBytes = 1024 * 1024;

    public static RouteGroupBuilder MapCloudConfig(this RouteGroupBuilder api)
    {
        api.MapGet(Path, Get).WithTags("cloud-config").Produces<CloudConfigView>().ProducesErrors(400, 401, 404);
        api.MapPut(Path, Put).WithTags("cloud-config").Accepts<string>("application/yaml", "text/yaml", "text/plain", "application/json")
            .Produces<CloudConfigAccepted>().Produces<CloudConfigInvalid>(StatusCodes.Status400BadRequest).ProducesErrors(401, 409, 413);
        return api;
    }

    /// <param name="version">An older version (1, 2, …); the current one when absent.</param>
    private static async Task<IResult> Get(string? version, CloudConfigStore store, CancellationToken ct)
    {
        int? wanted = null;
        if (version is not null)
        {
            if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
                return OpsErrors.BadRequest($"version must be a positive whole number (not '{version}').");
            wanted = number;
        }
        var history = await store.Load(ct);
        var found = wanted is { } n ? history.Version(n) : history.Current;
        if (found is null)
            return OpsErrors.NotFound(wanted is { } missing
                ? $"The cloud config has no version {missing} (the current one is {history.Current?.Version ?? 0})."
                : "No cloud config was uploaded yet: PUT one.");
        return Results.Ok(new CloudConfigView(found.Version, found.Yaml, found.Sha256, found.UpdatedBy, found.UpdatedAt));
    }

    private static async Task<IResult> Put(HttpRequest request, CloudConfigStore store, TimeProvider clock, CancellationToken ct)
    {
        int? expected = null;
        if (request.Headers.IfMatch is { Count: > 0 } ifMatch)
        {
            var value = ifMatch.Count == 1 ? ifMatch[0]!.Trim().Trim('"') : "";
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                return OpsErrors.BadRequest($"If-Match must be one cloud config version, such as \"3\" (not '{ifMatch}').");
            expected = number;
        }
        var (yaml, unreadable) = await ReadText(request, ct);
        if (unreadable is not null) return unreadable;
        if (string.IsNullOrWhiteSpace(yaml)) return OpsErrors.BadRequest("The body is the cloud config's YAML, and it is empty.");
        try
        {
            CloudConfigLoader.Load(FileName, yaml);
        }
        catch (ConfigException invalid)
        {
            return Results.Json(new CloudConfigInvalid("BadRequest",
                $"The cloud config is not valid ({invalid.Errors.Count} error{(invalid.Errors.Count == 1 ? "" : "s")}); nothing was recorded.",
                invalid.Errors.Select(e => e.ToString()).ToList()), statusCode: StatusCodes.Status400BadRequest);
        }

        var updateId = Guid.CreateVersion7();
        var decision = await store.Update(new UpdateCloudConfig(updateId, yaml!, expected, OpsApi.UserName(request), clock.GetUtcNow()),
            new EventMetadata(updateId, OriginatingIdentity: OpsApi.OriginatingIdentity(request)), ct);
        return decision switch
        {
            Decision.Accepted a => Results.Ok(new CloudConfigAccepted(((CloudConfigUpdated)a.Events[0]).Version, true)),
            Decision.AlreadyDone => Results.Ok(new CloudConfigAccepted((await store.Load(ct)).Current!.Version, false)),
            Decision.Rejected r => OpsErrors.From(r.Error),
            _ => throw new InvalidOperationException($"Unexpected decision {decision}"),
        };
    }

    /// <summary>The body as UTF-8 text, at most 1 MiB (also when sent without a length); an error to answer otherwise.</summary>
    private static async Task<(string? Text, IResult? Error)> ReadText(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                return (null, Results.Json(new OpsError("PayloadTooLarge", $"A cloud config is at most {MaxBytes} bytes."), statusCode: StatusCodes.Status413PayloadTooLarge));
            buffer.Write(chunk, 0, read);
        }
        try
        {
            return (new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length), null);
        }
        catch (DecoderFallbackException)
        {
            return (null, OpsErrors.BadRequest("The cloud config must be UTF-8 text."));
        }
    }
}
