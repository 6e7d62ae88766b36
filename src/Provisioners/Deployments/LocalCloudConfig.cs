using EventSourced.Commands.CloudConfigs;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Yaml;

namespace EventSourced.Provisioners.Deployments;

/// <summary>
/// The cloud config a local deploy plans against when the operator uploaded none: one AZ <c>local</c> holding the
/// instance's host, and a loopback network whose addresses are the instance's own and the local backend's port range.
/// It places the instance where it runs, so an update without a cloud config changes neither host nor address (and a new
/// instance on this host, on the first port no other server holds).
/// </summary>
public static class LocalCloudConfig
{
    public const string Az = "local";
    public const string Network = "loopback";

    /// <param name="address">The instance's address, first in the range (null: a new instance, placed on the range's first free one).</param>
    public static CloudConfig For(string host, string? address, int firstPort, int lastPort)
    {
        var range = address is null ? new List<string>() : [address];
        for (var port = firstPort; port <= lastPort; port++)
            if ($"127.0.0.1:{port}" != address) range.Add($"127.0.0.1:{port}");
        return new CloudConfig([new AvailabilityZone(Az, [host])], [], [],
            [new Network(Network, [new Subnet([Az], range, new HashSet<string>(), new HashSet<string>())])]);
    }

    /// <summary>
    /// The cloud config a deploy of <paramref name="instance"/> plans against — the uploaded one, else the implicit one
    /// (<see cref="For"/>) — or why there is none. The deploy and its dry run both take it from here, so the dry run
    /// answers what the deploy will do.
    /// </summary>
    public static async Task<(CloudConfig? Cloud, string? Refusal)> Of(
        CloudConfigStore store, ServiceInstance instance, int firstPort, int lastPort, CancellationToken ct)
    {
        if ((await store.Load(ct)).Current is { } uploaded)
        {
            try { return (CloudConfigLoader.Load($"cloud-config v{uploaded.Version}", uploaded.Yaml), null); }
            catch (ConfigException invalid) { return (null, $"cloud config version {uploaded.Version} no longer loads: {invalid.Message}"); }
        }
        if (instance.Server is null && instance.Status == InstanceStatus.Provisioning) return (For(instance.Host ?? Az, null, firstPort, lastPort), null);
        return instance.Server is { } server
            ? (For(instance.Host ?? Az, $"{server.Host}:{server.Port}", firstPort, lastPort), null)
            : (null, $"no cloud config was uploaded (PUT /api/v1/cloud-config), and instance {instance.Id} has no server to place it by");
    }
}
