using Npgsql;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// Streaming replicas of an instance's server: each a PostgreSQL server of its own in &lt;instance&gt;/replicas/&lt;index&gt;/
/// (own data directory, own port from the same allocator as every server of the data root), a hot standby made by
/// pg_basebackup from the running primary and streaming from it through a physical slot of its own (<c>replica_N</c>),
/// as the role <see cref="ReplicationRole"/> over the primary's socket (initdb's pg_hba trusts local replication).
/// Every step is idempotent, under the instance's lock: the deployment engine's steps run again after a dying worker.
/// </summary>
public sealed partial class LocalServerBackend
{
    /// <summary>The role replicas stream as, made on the primary when its first replica is copied.</summary>
    public const string ReplicationRole = "replicator";

    private static string SlotOf(int index) => $"replica_{index}";

    /// <summary>
    /// The replica's "create VM": claims its port (<paramref name="preferredPort"/> when free) and records <paramref name="vm"/>.
    /// A folder of another VM for this index (a try cut short) starts over: its process stops, its copy goes, its port stays.
    /// </summary>
    public async Task<int> CreateReplica(Guid instanceId, int index, string vm, int? preferredPort, CancellationToken ct)
    {
        var primary = Instance(instanceId);
        if (!Directory.Exists(primary.Path)) throw new BackendException($"instance {instanceId} has no folder on this host ({primary.Path})");
        using var _ = await LockInstance(instanceId, ct);
        var replica = primary.ReplicaOf(index);
        if (replica.ReadReplica()?.Vm == vm && replica.ReadServer() is { } made) return made.Port;
        await Stop(replica, ct);
        foreach (var copy in new[] { replica.DataDirectory, replica.DataDirectory + ".basebackup" })
            if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
        foreach (var folder in new[] { primary.ReplicasPath, replica.Path })
        {
            Directory.CreateDirectory(folder);
            await _tools.GiveToRunAsUser(folder, ct);
        }
        var port = await _ports.PortOf(replica, ct, preferredPort);
        replica.WriteReplica(new ReplicaRecord(vm));
        return port;
    }

    /// <summary>The replica's "disk": a base backup of the running primary, a standby of it (done once: a copy made is kept).</summary>
    public async Task CopyPrimary(Guid instanceId, int index, CancellationToken ct)
    {
        var primary = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        var replica = primary.ReplicaOf(index);
        if (replica.ReadReplica() is null) throw new BackendException($"replica {index} of instance {instanceId} was not created here");
        if (replica.IsInitialised) return;
        if (primary.ReadServer() is not { } server || !await IsRunning(primary, server.Port, ct))
            throw new BackendException($"the primary server of instance {instanceId} does not run: replica {index} cannot be copied from it");
        await using (var connection = await Superuser.Connect(primary, server.Port, "postgres", ct))
        {
            await Superuser.Execute(connection, $"""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ReplicationRole}') THEN CREATE ROLE {ReplicationRole} WITH LOGIN REPLICATION; END IF;
                END $$
                """, ct);
            await DropSlot(connection, SlotOf(index), ct);
        }
        await _tools.BaseBackup(primary, server.Port, replica, ReplicationRole, SlotOf(index), ct);
    }

    /// <summary>Starts the replica with <paramref name="settings"/> (the primary's: a hot standby needs at least its limits); a running one with others restarts.</summary>
    public async Task StartReplica(Guid instanceId, int index, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var chosen = ServerSettings.Validate(settings);
        using var _ = await LockInstance(instanceId, ct);
        var replica = Instance(instanceId).ReplicaOf(index);
        var server = replica.ReadServer() ?? throw new BackendException($"replica {index} of instance {instanceId} was not created here");
        if (!replica.IsInitialised) throw new BackendException($"replica {index} of instance {instanceId} has no copy of the primary");
        var next = server with { Settings = chosen };
        if (await IsRunning(replica, server.Port, ct))
        {
            if (ServerSettings.Effective(server.Settings).SequenceEqual(ServerSettings.Effective(chosen))) return;
            await Stop(replica, ct);
        }
        await Start(replica, next, ct);
        replica.WriteServer(next);
    }

    /// <summary>Waits until the replica is a standby whose WAL receiver streams from the primary (at most the start timeout).</summary>
    public async Task WaitUntilStreaming(Guid instanceId, int index, CancellationToken ct)
    {
        const string sql = "SELECT pg_is_in_recovery() AND EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming')";
        var replica = Instance(instanceId).ReplicaOf(index);
        var port = replica.ReadServer()?.Port ?? throw new BackendException($"replica {index} of instance {instanceId} was not created here");
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        while (true)
        {
            if (await IsRunning(replica, port, ct))
            {
                await using var connection = await Superuser.Connect(replica, port, "postgres", ct);
                await using var command = new NpgsqlCommand(sql, connection);
                if ((bool)(await command.ExecuteScalarAsync(ct))!) return;
            }
            if (DateTime.UtcNow >= deadline)
                throw new BackendException($"replica {index} of instance {instanceId} on port {port} does not stream from the primary after {_options.StartTimeout}");
            await Task.Delay(100, ct);
        }
    }

    public async Task StopReplica(Guid instanceId, int index, CancellationToken ct)
    {
        using var _ = await LockInstance(instanceId, ct);
        await Stop(Instance(instanceId).ReplicaOf(index), ct);
    }

    /// <summary>Stops the replica, drops its slot on the primary (when it runs) and removes its folder, port record included.</summary>
    public async Task RemoveReplica(Guid instanceId, int index, CancellationToken ct)
    {
        using var _ = await LockInstance(instanceId, ct);
        await RemoveReplica(Instance(instanceId), index, ct);
    }

    /// <summary>The replicas this host has a folder for: index, recorded port and VM, and whether it answers.</summary>
    public async Task<IReadOnlyList<LocalReplica>> ReplicasOf(Guid instanceId, CancellationToken ct)
    {
        var replicas = new List<LocalReplica>();
        foreach (var (index, replica) in Instance(instanceId).Replicas())
            if (replica.ReadServer() is { } server)
                replicas.Add(new LocalReplica(index, server.Port, replica.ReadReplica()?.Vm, await IsRunning(replica, server.Port, ct)));
        return replicas;
    }

    /// <summary>Starts a dead replica again on its port with its settings (false: it runs); never one without its copy.</summary>
    public async Task<bool> RestartReplica(Guid instanceId, int index, int port, CancellationToken ct)
    {
        using var _ = await LockInstance(instanceId, ct);
        var replica = Instance(instanceId).ReplicaOf(index);
        if (replica.ReadServer() is not { } server || server.Port != port)
            throw new BackendException($"replica {index} of instance {instanceId} is not recorded on port {port} here");
        if (await IsRunning(replica, port, ct)) return false;
        if (!replica.IsInitialised) throw new BackendException($"replica {index} of instance {instanceId} has no copy of the primary");
        await Start(replica, server, ct);
        return true;
    }

    /// <summary>The addresses every server of the data root but <paramref name="instanceId"/>'s own holds: not for the engine to place another on.</summary>
    public IReadOnlySet<string> AddressesHeldBesides(Guid instanceId) =>
        InstanceDirectory.All(_options.DataRoot).Where(other => other.InstanceId != instanceId)
            .SelectMany(other => other.Replicas().Select(r => r.Directory).Prepend(other))
            .Select(other => other.ReadServer()?.Port).OfType<int>().Select(port => $"{Host}:{port}").ToHashSet();

    private async Task RemoveReplicas(InstanceDirectory primary, CancellationToken ct)
    {
        foreach (var (index, _) in primary.Replicas().ToList()) await RemoveReplica(primary, index, ct);
        if (Directory.Exists(primary.ReplicasPath)) Directory.Delete(primary.ReplicasPath, recursive: true);
    }

    private async Task RemoveReplica(InstanceDirectory primary, int index, CancellationToken ct)
    {
        var replica = primary.ReplicaOf(index);
        await Stop(replica, ct);
        if (primary.ReadServer() is { } server && await IsRunning(primary, server.Port, ct))
        {
            await using var connection = await Superuser.Connect(primary, server.Port, "postgres", ct);
            await DropSlot(connection, SlotOf(index), ct);
        }
        if (Directory.Exists(replica.Path)) Directory.Delete(replica.Path, recursive: true);
    }

    // The walsender of a replica just stopped may hold the slot a moment longer: the drop waits for it to go.
    private async Task DropSlot(NpgsqlConnection primary, string slot, CancellationToken ct)
    {
        const string active = "SELECT active FROM pg_replication_slots WHERE slot_name = $1";
        const string drop = "SELECT pg_drop_replication_slot($1)";
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        while (true)
        {
            await using (var command = new NpgsqlCommand(active, primary) { Parameters = { new() { Value = slot } } })
            {
                switch (await command.ExecuteScalarAsync(ct))
                {
                    case null: return;
                    case false:
                        await using (var dropping = new NpgsqlCommand(drop, primary) { Parameters = { new() { Value = slot } } })
                            await dropping.ExecuteNonQueryAsync(ct);
                        return;
                }
            }
            if (DateTime.UtcNow >= deadline) throw new BackendException($"replication slot {slot} is still in use after {_options.StartTimeout}");
            await Task.Delay(100, ct);
        }
    }
}

/// <summary>A replica folder of an instance on this host: its index, port, VM and whether it answers.</summary>
public sealed record LocalReplica(int Index, int Port, string? Vm, bool Answers);
