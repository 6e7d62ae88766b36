using Npgsql;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// Streaming replicas of an instance's server: each a PostgreSQL server of its own in &lt;instance&gt;/replicas/&lt;index&gt;/
/// (own data directory, own port from the same allocator as every server of the data root), a hot standby made by
/// pg_basebackup from the running primary and streaming from it through a physical slot of its own (<c>replica_N</c>),
/// as the role <see cref="ReplicationRole"/> over TCP to 127.0.0.1:&lt;primary's port&gt; with the instance's replication
/// password (initdb's pg_hba asks for one there), so a replica may live on another host than its primary: the primary's
/// host keeps the password (<see cref="PrepareReplicationSource"/>), the replica's host copies with it
/// (<see cref="CopyPrimary(Guid, int, int, string, CancellationToken)"/>). Both keep it in files only their owner reads.
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
    /// <param name="primaryElsewhere">The primary runs on another host: its folder here holds only replicas.</param>
    public async Task<int> CreateReplica(Guid instanceId, int index, string vm, int? preferredPort, CancellationToken ct, bool primaryElsewhere = false)
    {
        var primary = Instance(instanceId);
        if (!primaryElsewhere && !Directory.Exists(primary.Path)) throw new BackendException($"instance {instanceId} has no folder on this host ({primary.Path})");
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

    /// <summary>The replica's "disk" when its primary runs on this host: the primary prepared, then copied.</summary>
    public async Task CopyPrimary(Guid instanceId, int index, CancellationToken ct)
    {
        var (port, password) = await PrepareReplicationSource(instanceId, index, ct);
        await CopyPrimary(instanceId, index, port, password, ct);
    }

    /// <summary>
    /// On the primary's host, before replica <paramref name="index"/> is copied: the role <see cref="ReplicationRole"/>
    /// with the instance's replication password (made once, kept in a file only the broker reads), and no slot left of
    /// an earlier replica of that index. Returns the primary's port and the password.
    /// </summary>
    public async Task<(int Port, string Password)> PrepareReplicationSource(Guid instanceId, int index, CancellationToken ct)
    {
        var primary = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        if (primary.ReadServer() is not { } server || !await IsRunning(primary, server.Port, ct))
            throw new BackendException($"the primary server of instance {instanceId} does not run here: replica {index} cannot be copied from it");
        var password = ReplicationPassword(primary);
        await using var connection = await Superuser.Connect(primary, server.Port, "postgres", ct);
        // The password is of the alphabet SecretProtector.GeneratePassword draws from: nothing to quote.
        await Superuser.Execute(connection, $"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ReplicationRole}') THEN CREATE ROLE {ReplicationRole} WITH LOGIN REPLICATION; END IF;
            END $$
            """, ct);
        await Superuser.Execute(connection, $"ALTER ROLE {ReplicationRole} WITH LOGIN REPLICATION PASSWORD '{password}'", ct);
        await DropSlot(connection, SlotOf(index), ct);
        return (server.Port, password);
    }

    /// <summary>
    /// The replica's "disk": a base backup of the primary running on 127.0.0.1:<paramref name="primaryPort"/> (on this
    /// host or another), a standby of it, over TCP as <see cref="ReplicationRole"/> with <paramref name="password"/> from
    /// a passfile in the replica's folder (its standby reconnects with it). Done once: a copy made is kept.
    /// </summary>
    public async Task CopyPrimary(Guid instanceId, int index, int primaryPort, string password, CancellationToken ct)
    {
        using var _ = await LockInstance(instanceId, ct);
        var replica = Instance(instanceId).ReplicaOf(index);
        if (replica.ReadReplica() is null) throw new BackendException($"replica {index} of instance {instanceId} was not created here");
        if (replica.IsInitialised) return;
        var passfile = Path.Combine(replica.Path, "replication.pgpass");
        WriteOwnerOnly(passfile, $"{Host}:{primaryPort}:*:{ReplicationRole}:{password}\n");
        await _tools.GiveToRunAsUser(passfile, ct);
        await _tools.BaseBackup(replica, Host, primaryPort, ReplicationRole, passfile, SlotOf(index), ct);
    }

    /// <summary>On the primary's host: drops the slot of a replica that ran on another host (its folder there is gone).</summary>
    public async Task DropReplicaSlot(Guid instanceId, int index, CancellationToken ct)
    {
        var primary = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        if (primary.ReadServer() is not { } server || !await IsRunning(primary, server.Port, ct)) return;
        await using var connection = await Superuser.Connect(primary, server.Port, "postgres", ct);
        await DropSlot(connection, SlotOf(index), ct);
    }

    /// <summary>
    /// On a replica's host that is not its primary's: stops the replica and removes its folder, and the instance's
    /// folder with it when nothing else of the instance is left here. Its slot is the primary's host's to drop.
    /// </summary>
    public async Task RemoveReplicaOfRemotePrimary(Guid instanceId, int index, CancellationToken ct)
    {
        var primary = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        var replica = primary.ReplicaOf(index);
        await Stop(replica, ct);
        if (Directory.Exists(replica.Path)) Directory.Delete(replica.Path, recursive: true);
        if (primary.ReadStorage() is null && primary.ReadServer() is null && !primary.Replicas().Any() && Directory.Exists(primary.Path))
            Directory.Delete(primary.Path, recursive: true);
    }

    /// <summary>The instance's replication password: read from its 0600 file in the primary's folder, made there the first time.</summary>
    private static string ReplicationPassword(InstanceDirectory primary)
    {
        var file = Path.Combine(primary.Path, "replication.secret");
        if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } kept) return kept;
        var password = Commands.Secrets.SecretProtector.GeneratePassword();
        WriteOwnerOnly(file, password);
        return password;
    }

    private static void WriteOwnerOnly(string file, string text)
    {
        var temporary = $"{file}.{Guid.NewGuid():N}.tmp";
        var created = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) created.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, created))
        using (var writer = new StreamWriter(stream))
            writer.Write(text);
        File.Move(temporary, file, overwrite: true);
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
