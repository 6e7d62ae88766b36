using System.Text.Json;
using EventSourced.Commands.EventStore;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Provisioners.Backends.Simulated;

/// <summary>
/// The simulated IaaS of <see cref="SimulatedBackend"/>, with its state in the deployment's PostgreSQL instead of one
/// process's memory (<c>Provisioners:Simulated:Shared</c>). A real IaaS lives outside the broker: every worker sees the
/// same disks, servers and logins, and a worker that dies takes none of them along. Held in memory, a step that ran on
/// one worker was unknown to the next step's worker (with two workers, "no storage provisioned" failed about a quarter
/// of 300 provisionings), and a killed worker's servers vanished. Same rules and step latency as the in-memory model.
/// </summary>
public sealed class SharedSimulatedBackend(NpgsqlDataSource dataSource, IOptions<EventStoreOptions> store, IOptions<SimulatedBackendOptions> options)
    : IStorageBackend, IServerBackend, IDatabaseBackend, IServerLogins
{
    private readonly SimulatedTables _tables = new(store.Value.Schema);

    /// <summary>What the instance's server runs with (the chosen settings over the defaults), or null when it does not run.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> SettingsOf(Guid instanceId, CancellationToken ct = default)
    {
        var json = (string?)await Scalar($"SELECT settings::text FROM {_tables.Servers} WHERE instance_id = $1", ct, instanceId);
        return json is null ? null : ServerSettings.Effective(JsonSerializer.Deserialize<Dictionary<string, string>>(json));
    }

    /// <summary>Whether a session of <paramref name="username"/> on <paramref name="database"/> would be let in at <paramref name="at"/>.</summary>
    public async Task<bool> CanLogIn(Guid instanceId, string database, string username, string password, DateTimeOffset at, CancellationToken ct = default) =>
        (bool)(await Scalar($"""
            SELECT EXISTS (SELECT 1 FROM {_tables.Servers} WHERE instance_id = $1)
               AND EXISTS (SELECT 1 FROM {_tables.Logins} WHERE instance_id = $1 AND username = $2 AND database = $3 AND password = $4
                                                       AND (valid_until IS NULL OR valid_until > $5))
            """, ct, instanceId, username, database, password, at.ToUniversalTime()))!;

    async Task<StorageAllocation> IStorageBackend.Provision(Guid instanceId, int diskMb, CancellationToken ct)
    {
        await Step(ct);
        await Execute($"""
            INSERT INTO {_tables.Storage} (instance_id, disk_mb) VALUES ($1, $2)
            ON CONFLICT (instance_id) DO UPDATE SET disk_mb = excluded.disk_mb
            """, ct, instanceId, diskMb);
        return new StorageAllocation($"/simulated/{instanceId}", diskMb);
    }

    async Task IStorageBackend.Deprovision(Guid instanceId, CancellationToken ct)
    {
        await Step(ct);
        if (await Runs(instanceId, ct)) throw new BackendException($"the server of instance {instanceId} still runs on its storage");
        await Execute($"DELETE FROM {_tables.Storage} WHERE instance_id = $1", ct, instanceId);
        await Execute($"DELETE FROM {_tables.Logins} WHERE instance_id = $1", ct, instanceId);
    }

    async Task<ServerEndpoint> IServerBackend.Provision(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var chosen = ServerSettings.Validate(settings);
        await Step(ct);
        if (await Scalar($"SELECT 1 FROM {_tables.Storage} WHERE instance_id = $1", ct, instanceId) is null)
            throw new BackendException($"no storage provisioned for instance {instanceId}");
        // One statement: a running server keeps its port and takes the settings; a new one gets the next port, unless
        // the capacity is reached (then nothing is inserted and nothing returned).
        var port = await Scalar($"""
            WITH running AS (SELECT 1 FROM {_tables.Servers} WHERE instance_id = $1)
            INSERT INTO {_tables.Servers} (instance_id, port, settings)
            SELECT $1, nextval('{_tables.Ports}'), $2
            WHERE EXISTS (SELECT 1 FROM running) OR (SELECT count(*) FROM {_tables.Servers}) < $3
            ON CONFLICT (instance_id) DO UPDATE SET settings = excluded.settings
            RETURNING port
            """, ct, instanceId, Json(chosen), options.Value.Capacity);
        return port is int assigned
            ? new ServerEndpoint("127.0.0.1", assigned)
            : throw new BackendException($"capacity of {options.Value.Capacity} simulated servers reached");
    }

    async Task<ServerEndpoint> IServerBackend.Reconfigure(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var chosen = ServerSettings.Validate(settings);
        await Step(ct);
        var port = await Scalar($"UPDATE {_tables.Servers} SET settings = $2 WHERE instance_id = $1 RETURNING port", ct, instanceId, Json(chosen));
        return port is int running
            ? new ServerEndpoint("127.0.0.1", running)
            : throw new BackendException($"cannot reconfigure the server of instance {instanceId}: none is provisioned");
    }

    async Task IServerBackend.Deprovision(Guid instanceId, CancellationToken ct)
    {
        await Step(ct);
        await Execute($"DELETE FROM {_tables.Servers} WHERE instance_id = $1", ct, instanceId);
    }

    Task<bool> IServerBackend.IsRunning(Guid instanceId, CancellationToken ct) => Runs(instanceId, ct);

    Task<int> IServerBackend.ResurrectStopped(CancellationToken ct) => Task.FromResult(0);

    async Task<DatabaseAccess> IDatabaseBackend.Provision(Guid instanceId, string database, string adminUsername, string adminPassword, CancellationToken ct)
    {
        await Step(ct);
        await EnsureRunning(instanceId, ct);
        return new DatabaseAccess(database, adminUsername);
    }

    async Task IDatabaseBackend.Deprovision(Guid instanceId, string database, string adminUsername, bool serverStays, CancellationToken ct)
    {
        await Step(ct);
        await Execute($"DELETE FROM {_tables.Logins} WHERE instance_id = $1 AND database = $2", ct, instanceId, database);
    }

    async Task IDatabaseBackend.CreateLogin(Guid instanceId, string database, string adminUsername, string username, string password,
        DateTimeOffset? validUntil, CancellationToken ct)
    {
        await Step(ct);
        await EnsureRunning(instanceId, ct);
        await Execute($"""
            INSERT INTO {_tables.Logins} (instance_id, username, database, password, valid_until) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (instance_id, username) DO UPDATE SET database = excluded.database, password = excluded.password,
                                                              valid_until = excluded.valid_until
            """, ct, instanceId, username, database, password, validUntil?.ToUniversalTime());
    }

    async Task IDatabaseBackend.DropLogin(Guid instanceId, string database, string adminUsername, string username, CancellationToken ct)
    {
        await Step(ct);
        await Execute($"DELETE FROM {_tables.Logins} WHERE instance_id = $1 AND username = $2", ct, instanceId, username);
    }

    private async Task EnsureRunning(Guid instanceId, CancellationToken ct)
    {
        if (!await Runs(instanceId, ct)) throw new BackendException($"the server of instance {instanceId} is not running");
    }

    private async Task<bool> Runs(Guid instanceId, CancellationToken ct) =>
        await Scalar($"SELECT 1 FROM {_tables.Servers} WHERE instance_id = $1", ct, instanceId) is not null;

    private Task Step(CancellationToken ct) =>
        options.Value.StepLatency > TimeSpan.Zero ? Task.Delay(options.Value.StepLatency, ct) : Task.CompletedTask;

    private static NpgsqlParameter Json(IReadOnlyDictionary<string, string> settings) =>
        new() { Value = JsonSerializer.Serialize(settings), NpgsqlDbType = NpgsqlDbType.Jsonb };

    private async Task<object?> Scalar(string sql, CancellationToken ct, params object?[] parameters)
    {
        await using var command = Command(sql, parameters);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    private async Task Execute(string sql, CancellationToken ct, params object?[] parameters)
    {
        await using var command = Command(sql, parameters);
        await command.ExecuteNonQueryAsync(ct);
    }

    private NpgsqlCommand Command(string sql, object?[] parameters)
    {
        var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
            command.Parameters.Add(parameter as NpgsqlParameter ?? new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        return command;
    }

    Task IServerLogins.CreateLogin(Guid instanceId, string username, string password, DateTimeOffset? validUntil, CancellationToken ct) =>
        ((IDatabaseBackend)this).CreateLogin(instanceId, "", "", username, password, validUntil, ct);

    Task IServerLogins.DropLogin(Guid instanceId, string username, CancellationToken ct) =>
        ((IDatabaseBackend)this).DropLogin(instanceId, "", "", username, ct);
}
