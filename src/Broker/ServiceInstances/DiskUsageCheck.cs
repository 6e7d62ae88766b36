using EventSourced.Commands.Catalog;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Deployments;
using Npgsql;

namespace EventSourced.Broker.ServiceInstances;

/// <summary>
/// A plan change to a smaller disk than an instance's data already takes is refused before anything is recorded (422
/// naming the usage), rather than accepted and failed, or worse, run out of disk after the move. The usage is what
/// PostgreSQL counts (<c>pg_database_size</c>), asked over the network with each database's own admin role, so any API
/// node can ask: a dedicated instance's database, or the sum of a cluster's databases (each with its own role, as no
/// role of one reads another's). Instances of the simulated backend hold no data: not measured.
/// </summary>
public sealed class DiskUsageCheck(ServiceCatalog catalog, ServiceInstanceStore instances, SecretProtector secrets, IConfiguration configuration)
{
    private const long Megabyte = 1024 * 1024;
    private bool Local => (configuration[BackendServiceCollectionExtensions.BackendSetting] ?? "local").Equals("local", StringComparison.OrdinalIgnoreCase);

    /// <returns>Why the instance cannot move to <paramref name="target"/>, or null when it can (or there is nothing to measure).</returns>
    public async Task<string?> RefusalOf(ServiceInstance instance, ServicePlan target, CancellationToken ct)
    {
        if (!Local || !instance.Exists || catalog.FindPlan(instance.ServiceId, instance.PlanId) is not { } current || target.DiskMb <= 0 || target.DiskMb >= current.DiskMb)
            return null;
        if (catalog.ProvisionerOf(instance.ServiceId) is { } provisioner && provisioner.Definition.Provides.Instance != PostgresServiceAdapter.Implementation)
            return null;
        if (instance.Server is not { } server) return null;
        var databases = await DatabasesOf(instance, ct);
        if (databases.Count == 0) return null;
        long bytes = 0;
        foreach (var database in databases)
        {
            try
            {
                bytes += await SizeOf(server, database, ct);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                return $"Plan {target.Name} has a smaller disk ({target.DiskMb} MB) than plan {current.Name} ({current.DiskMb} MB), and the usage of " +
                       $"instance {instance.Id} could not be measured ({e.Message}): nothing was changed.";
            }
        }
        if (bytes <= target.DiskMb * Megabyte) return null;
        var usage = instance.Shape == InstanceShape.Cluster
            ? $"the {databases.Count} database{(databases.Count == 1 ? "" : "s")} of cluster {instance.Id} use"
            : $"the database of instance {instance.Id} uses";
        return $"Plan {target.Name} has a {target.DiskMb} MB disk, and {usage} {bytes / (double)Megabyte:0.0} MB: " +
               "shrinking below the usage would not fit the data. Free space or choose a larger plan; nothing was changed.";
    }

    /// <summary>
    /// A dedicated instance's database, or a cluster's children's that have one (a child still provisioning has next to
    /// nothing yet).
    /// </summary>
    private async Task<IReadOnlyList<DatabaseInfo>> DatabasesOf(ServiceInstance instance, CancellationToken ct)
    {
        if (instance.Shape != InstanceShape.Cluster) return instance.Database is { } own ? [own] : [];
        var databases = new List<DatabaseInfo>();
        foreach (var child in instance.Children)
            if ((await instances.Load(child.ChildId, ct)).State is { Exists: true, Database: { } database })
                databases.Add(database);
        return databases;
    }

    private async Task<long> SizeOf(ServerInfo server, DatabaseInfo database, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = server.Host, Port = server.Port, Database = database.Database, Username = database.AdminUsername,
            Password = secrets.Unprotect(database.EncryptedAdminPassword), Pooling = false, Timeout = 5, CommandTimeout = 10,
        }.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
