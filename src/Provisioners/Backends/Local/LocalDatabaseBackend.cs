using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// Administers an instance's server as the postgres superuser over the instance's unix socket, which trusts local
/// connections: the broker never stores an admin password.
/// </summary>
[SubProvisionerImplementation("postgresql-database")]
public sealed class LocalDatabaseBackend(IOptions<LocalBackendOptions> options) : IDatabaseBackend
{
    private const string DuplicateObject = "42710";
    private const string DuplicateDatabase = "42P04";
    private const string RoleExists = "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)";
    private const string DatabaseExists = "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)";
    private const string TerminateSessions = "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE usename = $1";
    private readonly LocalBackendOptions _options = options.Value;

    public async Task<DatabaseAccess> Provision(Guid instanceId, string database, string adminUsername, string adminPassword, CancellationToken ct)
    {
        var (role, db, password) = (Sql.Identifier(adminUsername), Sql.Identifier(database), Sql.Literal(adminPassword));
        var (instance, server) = Provisioned(instanceId, $"cannot create database {database}");
        await using var connection = await Superuser.Connect(instance, server.Port, "postgres", ct);
        try
        {
            // Two runs of this step at once (a re-sent step) would ALTER the same catalog rows: "tuple concurrently
            // updated". The lock is the session's (CREATE DATABASE cannot run in a transaction), released with it.
            await Superuser.Execute(connection, SerializeCatalogChanges, ct);
            await CreateOrAlter(connection, $"CREATE ROLE {role} LOGIN PASSWORD {password}", $"ALTER ROLE {role} WITH LOGIN PASSWORD {password}", ct);
            await CreateOrAlter(connection, $"CREATE DATABASE {db} OWNER {role}", $"ALTER DATABASE {db} OWNER TO {role}", ct);
            // Only its owner and the logins granted to it may connect: a database in a cluster shares its server with
            // other tenants' databases, whose logins must not even open a session in it.
            await Superuser.Execute(connection, $"REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM PUBLIC", ct);
        }
        catch (PostgresException e)
        {
            throw new BackendException($"could not create database {database} owned by {adminUsername} on instance {instanceId}: {e.MessageText}", e);
        }
        return new DatabaseAccess(database, adminUsername);
    }

    public async Task Deprovision(Guid instanceId, string database, string adminUsername, bool serverStays, CancellationToken ct)
    {
        var (role, db) = (Sql.Identifier(adminUsername), Sql.Identifier(database));
        var instance = new InstanceDirectory(_options.DataRoot, instanceId);
        if (instance.ReadServer() is not { } server || !await Postmaster.Answers(server.Port, ct))
        {
            if (serverStays)
                throw new BackendException($"cannot drop database {database} on instance {instanceId}: its server does not answer");
            return;
        }
        await using var connection = await Superuser.Connect(instance, server.Port, "postgres", ct);
        try
        {
            // A re-sent step runs beside the first (a deprovision cancelling a provisioning sends it again when the
            // provisioning's own step fails under it): both would see the owner role, and the loser's DROP would fail.
            await Superuser.Execute(connection, SerializeCatalogChanges, ct);
            // The logins of bindings the platform never removed go with the database: on a cluster's server, which lives
            // on, they would otherwise stay behind, roles without a database.
            var logins = await GrantedLogins(connection, database, ct);
            foreach (var login in logins) await Superuser.Execute(connection, $"ALTER ROLE {Sql.Identifier(login)} NOLOGIN", ct);
            await Superuser.Execute(connection, $"DROP DATABASE IF EXISTS {db} WITH (FORCE)", ct);
            foreach (var login in logins)
            {
                await Query(connection, TerminateSessions, login, ct);
                await Superuser.Execute(connection, $"{SerializeGrants}; DROP ROLE IF EXISTS {Sql.Identifier(login)}", ct);
            }
            if ((bool)(await Query(connection, RoleExists, adminUsername, ct))!)
            {
                await Superuser.Execute(connection, $"DROP OWNED BY {role}", ct);
                await Superuser.Execute(connection, $"DROP ROLE {role}", ct);
            }
        }
        catch (PostgresException e)
        {
            throw new BackendException($"could not drop database {database} and role {adminUsername} on instance {instanceId}: {e.MessageText}", e);
        }
    }

    public async Task CreateLogin(Guid instanceId, string database, string adminUsername, string username, string password,
        DateTimeOffset? validUntil, CancellationToken ct)
    {
        var (login, admin, db) = (Sql.Identifier(username), Sql.Identifier(adminUsername), Sql.Identifier(database));
        var until = validUntil?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff'+00'", CultureInfo.InvariantCulture) ?? "infinity";
        var attributes = $"LOGIN PASSWORD {Sql.Literal(password)} VALID UNTIL {Sql.Literal(until)}";
        var (instance, server) = Provisioned(instanceId, $"cannot create login {username}");
        try
        {
            await using (var connection = await Superuser.Connect(instance, server.Port, "postgres", ct))
            {
                await CreateOrAlter(connection, $"CREATE ROLE {login} {attributes}", $"ALTER ROLE {login} WITH {attributes}", ct);
                await Superuser.Execute(connection, $"{SerializeGrants}; GRANT CONNECT ON DATABASE {db} TO {login}", ct);
            }
            await using (var connection = await Superuser.Connect(instance, server.Port, database, ct))
                await Superuser.Execute(connection, $"""
                    {SerializeGrants};
                    GRANT USAGE, CREATE ON SCHEMA public TO {login};
                    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {login};
                    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {login};
                    ALTER DEFAULT PRIVILEGES FOR ROLE {admin} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {login};
                    ALTER DEFAULT PRIVILEGES FOR ROLE {admin} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {login};
                    """, ct);
        }
        catch (PostgresException e)
        {
            throw new BackendException($"could not create login {username} for database {database} on instance {instanceId}: {e.MessageText}", e);
        }
    }

    // NOLOGIN before terminating, so the role cannot start a session between the termination and the DROP ROLE.
    public async Task DropLogin(Guid instanceId, string database, string adminUsername, string username, CancellationToken ct)
    {
        var (login, admin) = (Sql.Identifier(username), Sql.Identifier(adminUsername));
        var instance = new InstanceDirectory(_options.DataRoot, instanceId);
        if (instance.ReadServer() is not { } server) return;
        // A provisioned server that is down comes back with the role: that is no success.
        if (!await Postmaster.Answers(server.Port, ct))
            throw new BackendException($"cannot drop login {username} on instance {instanceId}: its server does not answer on port {server.Port}");
        await using var connection = await Superuser.Connect(instance, server.Port, "postgres", ct);
        try
        {
            if (!(bool)(await Query(connection, RoleExists, username, ct))!) return;
            await Superuser.Execute(connection, $"ALTER ROLE {login} NOLOGIN", ct);
            await Query(connection, TerminateSessions, username, ct);
            if ((bool)(await Query(connection, DatabaseExists, database, ct))!)
            {
                await using var inDatabase = await Superuser.Connect(instance, server.Port, database, ct);
                await Superuser.Execute(inDatabase, $"{SerializeGrants}; REASSIGN OWNED BY {login} TO {admin}; DROP OWNED BY {login}", ct);
            }
            await Superuser.Execute(connection, $"{SerializeGrants}; DROP ROLE {login}", ct);
        }
        catch (PostgresException e)
        {
            throw new BackendException($"could not drop login {username} of database {database} on instance {instanceId}: {e.MessageText}", e);
        }
    }

    public async Task ApplyExtensions(Guid instanceId, string database, IReadOnlyCollection<string> enable, IReadOnlyCollection<string> disable,
        CancellationToken ct, string? migration = null)
    {
        if (enable.Count == 0 && disable.Count == 0 && migration is null) return;
        var (instance, server) = Provisioned(instanceId, $"cannot change the extensions of database {database}");
        await using var connection = await Superuser.Connect(instance, server.Port, database, ct);
        // One implicit transaction: every drop and create, or none. Two runs at once (a re-sent step) take turns.
        var statements = disable.Select(e => $"DROP EXTENSION IF EXISTS {Sql.Identifier(e)}")
            .Concat(enable.Select(e => $"CREATE EXTENSION IF NOT EXISTS {Sql.Identifier(e)} CASCADE"))
            .Concat(migration is null ? [] : [migration]);
        try
        {
            await Superuser.Execute(connection, $"{SerializeExtensions}; {string.Join("; ", statements)}", ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DependentObjectsStillExist)
        {
            throw new BackendException($"extensions of database {database} unchanged: {e.MessageText} ({e.Detail?.ReplaceLineEndings("; ")}); " +
                                       "remove what uses the extension first", e);
        }
        catch (PostgresException e)
        {
            throw new BackendException($"extensions of database {database} unchanged: {e.MessageText}", e);
        }
    }

    // Grants of many bindings at once rewrite the same catalog rows (the database's and the schema's ACL, the admin's
    // default privileges) and fail with "tuple concurrently updated": each batch of them takes this lock first, held
    // until the batch's implicit transaction ends.
    private const string SerializeGrants = "SELECT pg_advisory_xact_lock(7321)";
    private const string SerializeCatalogChanges = "SELECT pg_advisory_lock(7321)";
    private const string SerializeExtensions = "SELECT pg_advisory_xact_lock(7322)";

    // Tries the CREATE first so that concurrent provisions of the same names both succeed: the loser alters instead.
    // A CREATE racing another of the same name loses on the catalog's unique index (23505) rather than as a duplicate.
    private static async Task CreateOrAlter(NpgsqlConnection connection, string create, string alter, CancellationToken ct)
    {
        try
        {
            await Superuser.Execute(connection, create, ct);
        }
        catch (PostgresException e) when (e.SqlState is DuplicateObject or DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            await Superuser.Execute(connection, alter, ct);
        }
    }

    /// <summary>The binding logins granted CONNECT on the database (see <see cref="CreateLogin"/>).</summary>
    private static async Task<IReadOnlyList<string>> GrantedLogins(NpgsqlConnection connection, string database, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT r.rolname FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a JOIN pg_roles r ON r.oid = a.grantee
            WHERE d.datname = $1 AND a.privilege_type = 'CONNECT' AND r.rolname LIKE 'binding\_%'
            """, connection) { Parameters = { new() { Value = database } } };
        await using var reader = await command.ExecuteReaderAsync(ct);
        var logins = new List<string>();
        while (await reader.ReadAsync(ct)) logins.Add(reader.GetString(0));
        return logins;
    }

    private static async Task<object?> Query(NpgsqlConnection connection, string sql, string argument, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = argument } } };
        return await command.ExecuteScalarAsync(ct);
    }

    private (InstanceDirectory, ServerRecord) Provisioned(Guid instanceId, string what)
    {
        var instance = new InstanceDirectory(_options.DataRoot, instanceId);
        return (instance, instance.ReadServer() ?? throw new BackendException($"{what} on instance {instanceId}: no server provisioned"));
    }
}
