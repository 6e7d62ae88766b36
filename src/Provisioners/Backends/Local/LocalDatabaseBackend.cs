using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// Administers an instance's server as the postgres superuser over the instance's unix socket, which trusts local
/// connections: the broker never stores an admin password.
/// </summary>
public sealed class LocalDatabaseBackend(IOptions<LocalBackendOptions> options) : IDatabaseBackend
{
    private const string DuplicateObject = "42710";
    private const string DuplicateDatabase = "42P04";
    private readonly LocalBackendOptions _options = options.Value;

    public async Task<DatabaseAccess> Provision(Guid instanceId, string database, string adminUsername, string adminPassword, CancellationToken ct)
    {
        var (role, db, password) = (Sql.Identifier(adminUsername), Sql.Identifier(database), Sql.Literal(adminPassword));
        var instance = new InstanceDirectory(_options.DataRoot, instanceId);
        var server = instance.ReadServer()
                     ?? throw new BackendException($"cannot create database {database} on instance {instanceId}: no server provisioned");
        await using var connection = await Connect(instance, server, ct);
        try
        {
            await CreateOrAlter(connection, $"CREATE ROLE {role} LOGIN PASSWORD {password}", $"ALTER ROLE {role} WITH LOGIN PASSWORD {password}", ct);
            await CreateOrAlter(connection, $"CREATE DATABASE {db} OWNER {role}", $"ALTER DATABASE {db} OWNER TO {role}", ct);
        }
        catch (PostgresException e)
        {
            throw new BackendException($"could not create database {database} owned by {adminUsername} on instance {instanceId}: {e.MessageText}", e);
        }
        return new DatabaseAccess(database, adminUsername);
    }

    public async Task Deprovision(Guid instanceId, string database, string adminUsername, CancellationToken ct)
    {
        var (role, db) = (Sql.Identifier(adminUsername), Sql.Identifier(database));
        var instance = new InstanceDirectory(_options.DataRoot, instanceId);
        if (instance.ReadServer() is not { } server || !await Postmaster.Answers(server.Port, ct)) return;
        await using var connection = await Connect(instance, server, ct);
        try
        {
            await Execute(connection, $"DROP DATABASE IF EXISTS {db} WITH (FORCE)", ct);
            if (await RoleExists(connection, adminUsername, ct))
            {
                await Execute(connection, $"DROP OWNED BY {role}", ct);
                await Execute(connection, $"DROP ROLE {role}", ct);
            }
        }
        catch (PostgresException e)
        {
            throw new BackendException($"could not drop database {database} and role {adminUsername} on instance {instanceId}: {e.MessageText}", e);
        }
    }

    // Tries the CREATE first so that concurrent provisions of the same names both succeed: the loser alters instead.
    private static async Task CreateOrAlter(NpgsqlConnection connection, string create, string alter, CancellationToken ct)
    {
        try
        {
            await Execute(connection, create, ct);
        }
        catch (PostgresException e) when (e.SqlState is DuplicateObject or DuplicateDatabase)
        {
            await Execute(connection, alter, ct);
        }
    }

    private static async Task<bool> RoleExists(NpgsqlConnection connection, string role, CancellationToken ct)
    {
        const string sql = "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)";
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = role } } };
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<NpgsqlConnection> Connect(InstanceDirectory instance, ServerRecord server, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = instance.SocketDirectory,
            Port = server.Port,
            Username = "postgres",
            Database = "postgres",
            Pooling = false,
        }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or IOException)
        {
            await connection.DisposeAsync();
            throw new BackendException($"could not connect to the server of instance {instance.InstanceId} on {instance.SocketDirectory}: {e.Message}", e);
        }
    }
}
