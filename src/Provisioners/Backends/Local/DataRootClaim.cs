using System.Security.Cryptography;
using System.Text;
using EventSourced.Commands.EventStore;
using EventSourced.Provisioners.Hosts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// The local backend keeps each instance's server on the machine and data root of its host (<c>Provisioners:Host:Name</c>),
/// and any worker of that host name may run the host's steps: two workers of one host name on different data roots (or
/// machines) would split an instance between them. A local-backend worker claims (host name, machine, data root) at start
/// and refuses to start while a live worker of the same host name holds another machine or data root; workers on the
/// same data root of the same machine share it, and workers of other host names have their own.
/// </summary>
/// <remarks>
/// The claim is a session-level shared advisory lock keyed by (machine, data root), held on a connection of its own for the
/// worker's life: a worker that dies (even SIGKILLed) releases it with its session. The table
/// <c>local_data_roots</c> only names what a key stands for, so the refusal can say which data root and host hold it.
/// Claims are checked and taken under a transaction lock, so two workers starting at once cannot both pass.
/// </remarks>
public sealed class DataRootClaim(
    NpgsqlDataSource dataSource, IOptions<LocalBackendOptions> options, IOptions<WorkerHostOptions> hostOptions, IOptions<EventStoreOptions> store,
    IHostApplicationLifetime lifetime, ILogger<DataRootClaim> log) : IHostedService, IAsyncDisposable
{
    public const string Setting = LocalBackendOptions.SectionName + ":DataRoot";
    /// <summary>The first key of every claim's advisory lock ("LBDR"); the second is the (machine, data root) hash.</summary>
    private const int LockSpace = 0x4C424452;
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);

    private readonly string _host = Environment.MachineName;
    private readonly string _hostName = hostOptions.Value.Name;
    private readonly string _dataRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Value.DataRoot));
    private readonly CancellationTokenSource _stopping = new();
    private NpgsqlConnection? _connection;
    private Task? _watch;

    private int Key => BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"{_hostName}\n{_host}\n{_dataRoot}"))) & int.MaxValue;
    private string Table => $"\"{store.Value.Schema}\".local_data_roots";

    public async Task StartAsync(CancellationToken ct)
    {
        await Claim(ct);
        // Made now rather than at the first provisioning, so the readiness check (which reports a data root that is gone)
        // is green on a fresh worker.
        Directory.CreateDirectory(_dataRoot);
        log.LogInformation("Local backend: data root {DataRoot} on {Host} claimed", _dataRoot, _host);
        _watch = Watch(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken ct)
    {
        await _stopping.CancelAsync();
        if (_watch is not null) await _watch.WaitAsync(ct);
        await Release();
    }

    public async ValueTask DisposeAsync()
    {
        await Release();
        _stopping.Dispose();
    }

    private async Task Claim(CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await Execute(connection, "SELECT pg_advisory_xact_lock($1, 0)", ct, LockSpace);
            await Execute(connection, $"""
                CREATE TABLE IF NOT EXISTS {Table} (
                    lock_key integer PRIMARY KEY, host text NOT NULL, data_root text NOT NULL,
                    process_id integer NOT NULL, claimed_at timestamptz NOT NULL);
                ALTER TABLE {Table} ADD COLUMN IF NOT EXISTS host_name text
                """, ct);
            if (await OtherHolder(connection, ct) is { } other)
                throw new DataRootClaimedElsewhere(
                    $"This worker's local backend would use {Setting} '{_dataRoot}' on {_host} as host '{_hostName}', but a running " +
                    $"local-backend worker of the same host uses {Setting} '{other.DataRoot}' on {other.Host} (process {other.ProcessId}, " +
                    $"since {other.ClaimedAt:u}). Each instance's dedicated server lives on the machine and data root of its host, and " +
                    "any worker of that host may run the instance's next step, so two such workers would break instances. Give " +
                    $"this worker a host of its own ({WorkerHostOptions.Section}:Name), or the same {Setting} on the same machine; stop " +
                    "that worker first to start this one on another data root.");
            await Execute(connection, "SELECT pg_advisory_lock_shared($1, $2)", ct, LockSpace, Key);
            await Execute(connection, $"""
                INSERT INTO {Table} (lock_key, host, data_root, process_id, claimed_at, host_name) VALUES ($1, $2, $3, $4, now(), $5)
                ON CONFLICT (lock_key) DO UPDATE SET host = excluded.host, data_root = excluded.data_root,
                    process_id = excluded.process_id, claimed_at = excluded.claimed_at, host_name = excluded.host_name
                """, ct, Key, _host, _dataRoot, Environment.ProcessId, _hostName);
            await transaction.CommitAsync(ct);
            _connection = connection;
        }
        catch
        {
            await Close(connection);
            throw;
        }
    }

    /// <summary>
    /// A live session of this database holding a claim of the same host name with another key, and what that key stands
    /// for (a claim whose row is missing, or recorded before host names, counts as the same host).
    /// </summary>
    private async Task<(string Host, string DataRoot, int ProcessId, DateTime ClaimedAt)?> OtherHolder(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT coalesce(r.host, 'an unknown host'), coalesce(r.data_root, '(unknown, key ' || l.objid || ')'),
                   coalesce(r.process_id, l.pid), coalesce(r.claimed_at, now())
            FROM pg_locks l LEFT JOIN {Table} r ON r.lock_key = l.objid::text::integer
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid::text::integer = $1
              AND l.objid::text::integer <> $2 AND l.objid::text::integer <> 0 AND coalesce(r.host_name, $3) = $3
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            LIMIT 1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = LockSpace });
        command.Parameters.Add(new NpgsqlParameter { Value = Key });
        command.Parameters.Add(new NpgsqlParameter { Value = _hostName });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetDateTime(3));
    }

    /// <summary>
    /// The claim lives as long as its session: when the connection is lost (PostgreSQL restarted), it is taken again; if
    /// another data root was claimed meanwhile, this worker stops rather than share instances with it.
    /// </summary>
    private async Task Watch(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(CheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (await StillHeld(ct)) continue;
                try
                {
                    await Release();
                    await Claim(ct);
                    log.LogInformation("Local backend: data root {DataRoot} on {Host} claimed again", _dataRoot, _host);
                }
                catch (DataRootClaimedElsewhere e) when (!ct.IsCancellationRequested)
                {
                    log.LogCritical("{Refusal} Stopping this worker.", e.Message);
                    lifetime.StopApplication();
                    return;
                }
                catch (NpgsqlException e) when (!ct.IsCancellationRequested)
                {
                    log.LogWarning("Local backend: cannot claim the data root yet ({Reason}); retrying", e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> StillHeld(CancellationToken ct)
    {
        if (_connection is not { } connection) return false;
        try
        {
            await Execute(connection, "SELECT 1", ct);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            log.LogWarning("Local backend: the data root claim's session was lost ({Reason}); claiming again", e.Message);
            return false;
        }
    }

    private async Task Release()
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection) await Close(connection);
    }

    /// <summary>Session locks outlive a pooled connection's return to the pool (the broker turns the reset off): unlock first.</summary>
    private static async Task Close(NpgsqlConnection connection)
    {
        try
        {
            await Execute(connection, "SELECT pg_advisory_unlock_all()", CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A broken session: its locks went with it, and Npgsql does not pool it again.
        }
        await connection.DisposeAsync();
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The refusal to start (or to go on) while another data root is claimed; the host prints its message.</summary>
    private sealed class DataRootClaimedElsewhere(string message) : InvalidOperationException(message);
}
