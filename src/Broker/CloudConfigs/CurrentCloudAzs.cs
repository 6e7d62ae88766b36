using System.Text.Json;
using EventSourced.Commands.CloudConfigs;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Yaml;

namespace EventSourced.Broker.CloudConfigs;

/// <summary>The AZs of the current cloud config, for checking parameter <c>azs</c> before anything is recorded.</summary>
public sealed class CurrentCloudAzs(CloudConfigStore cloudConfigs)
{
    /// <summary>The AZs when a provisioning's <paramref name="parameters"/> name <c>azs</c> (else null: nothing to check, nothing read).</summary>
    public async Task<CloudAzs?> ForProvisioning(JsonElement? parameters, CancellationToken ct) =>
        parameters is { ValueKind: JsonValueKind.Object } asked && asked.TryGetProperty(AzSpread.Parameter, out _) ? await Read(ct) : null;

    /// <inheritdoc cref="ForProvisioning(JsonElement?, CancellationToken)"/>
    public async Task<CloudAzs?> ForProvisioning(string? parameters, CancellationToken ct)
    {
        if (parameters is null) return null;
        using var parsed = JsonDocument.Parse(parameters);
        return await ForProvisioning(parsed.RootElement, ct);
    }

    /// <summary>Null when no cloud config was uploaded, or the current one no longer loads (a deploy could not place anything by it).</summary>
    public async Task<CloudAzs?> Read(CancellationToken ct)
    {
        if ((await cloudConfigs.Load(ct)).Current is not { } current) return null;
        try
        {
            var cloud = CloudConfigLoader.Load($"cloud-config v{current.Version}", current.Yaml);
            return new CloudAzs(current.Version, cloud.Azs.Select(a => new CloudAz(a.Name, a.Hosts)).ToList());
        }
        catch (ConfigException)
        {
            return null;
        }
    }
}
