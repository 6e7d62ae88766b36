using EventSourced.Deployments.Model;

namespace EventSourced.Provisioners.Deployments;

/// <summary>
/// The cloud config a local deploy plans against when the operator uploaded none: one AZ <c>local</c> holding the
/// instance's host, and a loopback network whose addresses are the instance's own and the local backend's port range.
/// It places the instance where it runs, so an update without a cloud config changes neither host nor address.
/// </summary>
public static class LocalCloudConfig
{
    public const string Az = "local";
    public const string Network = "loopback";

    public static CloudConfig For(string host, string address, int firstPort, int lastPort)
    {
        var range = new List<string> { address };
        for (var port = firstPort; port <= lastPort; port++)
            if ($"127.0.0.1:{port}" != address) range.Add($"127.0.0.1:{port}");
        return new CloudConfig([new AvailabilityZone(Az, [host])], [], [],
            [new Network(Network, [new Subnet([Az], range, new HashSet<string>(), new HashSet<string>())])]);
    }
}
