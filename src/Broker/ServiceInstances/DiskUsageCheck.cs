using EventSourced.Commands.Catalog;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Deployments;
using Npgsql;

namespace EventSourced.Broker.ServiceInstances;

/// <summary>
/// A plan change to a smaller disk than a dedicated PostgreSQL instance's data already takes is refused before anything
/// is recorded (422 naming the usage), rather than accepted and failed, or worse, run out of disk after the move. The
/// usage is the instance's database as PostgreSQL counts it (<c>pg_database_size</c>), asked over the network with the
/// instance's own admin role, so any API node can ask. Instances of the simulated backend hold no data: not measured.
/// A cluster's databases are not summed yet: its plan changes are not checked.
/// </summary>
public sealed class DiskUsageCheck(ServiceCatalog catalog, SecretProtector secrets, IConfiguration configuration)
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
        if (instance.Server is not { } server || instance.Database is not { } database) return null;
        long bytes;
        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
            {
                Host = server.Host, Port = server.Port, Database = database.Database, Username = database.AdminUsername,
                Password = secrets.Unprotect(database.EncryptedAdminPassword), Pooling = false, Timeout = 5, CommandTimeout = 10,
            }.ConnectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
            bytes = (long)(await command.ExecuteScalarAsync(ct))!;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return $"Plan {target.Name} has a smaller disk ({target.DiskMb} MB) than plan {current.Name} ({current.DiskMb} MB), and the usage of " +
                   $"instance {instance.Id} could not be measured ({e.Message}): nothing was changed.";
        }
        return bytes > target.DiskMb * Megabyte
            ? $"Plan {target.Name} has a {target.DiskMb} MB disk, and the database of instance {instance.Id} uses {bytes / (double)Megabyte:0.0} MB: " +
              "shrinking below the usage would not fit the data. Free space or choose a larger plan; nothing was changed."
            : null;
    }
}
