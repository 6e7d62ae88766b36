using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>
/// Where an instance's database lives and which role owns it: a dedicated instance's <c>service</c> database, owned by
/// <c>service_admin</c>, on its own server; a cluster's database <c>db_{id}</c>, owned by <c>owner_{id}</c>, on its
/// cluster's server (the backends find a server by the id of the instance that owns it).
/// </summary>
/// <param name="ServerStays">The server is another instance's (the cluster's) and outlives the database.</param>
public sealed record DatabasePlacement(Guid ServerInstanceId, string Database, string Owner, bool ServerStays)
{
    public const string DedicatedDatabase = "service";
    public const string DedicatedOwner = "service_admin";

    public static DatabasePlacement Of(ServiceInstance instance) => instance.ClusterId is { } cluster
        ? new DatabasePlacement(cluster, $"db_{instance.Id:N}", $"owner_{instance.Id:N}", ServerStays: true)
        : new DatabasePlacement(instance.Id, DedicatedDatabase, DedicatedOwner, ServerStays: false);
}
