using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace EventSourced.Projections.ReadCache;

/// <summary>
/// LISTENs, on a connection of its own (kept open, reconnected after a failure), to the changes every node's appends
/// notify (<see cref="ChangeNotices"/>) and marks the cached rows they make stale; and sends the barriers polls wait
/// for (<see cref="LastOperationCache"/>): one at a time, each serving every poll that arrived before it was sent, and
/// one a second when idle, which also drains what was notified meanwhile and finds a dead connection.
/// </summary>
public sealed partial class ChangeListener(
    LastOperationCache cache, string connectionString, string schema, ReadCacheOptions options, ILogger<ChangeListener> logger) : BackgroundService
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan BarrierTimeout = TimeSpan.FromSeconds(10);

    private readonly string channel = ChangeNotices.Channel(schema);
    private readonly string barrierChannel = $"{ChangeNotices.Channel(schema)}_{Guid.NewGuid():N}";
    private long barrierSent;
    private long barrierSeen;

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (!cache.Enabled) return;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Listen(stopping);
            }
            catch (Exception e)
            {
                if (!stopping.IsCancellationRequested) LogDisconnected(e, options.ReconnectDelay);
            }
            cache.Disconnected();
            try
            {
                await Task.Delay(options.ReconnectDelay, stopping);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task Listen(CancellationToken stopping)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        connection.Notification += OnNotification;
        await connection.OpenAsync(stopping);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{channel}\"; LISTEN \"{barrierChannel}\"", connection))
            await listen.ExecuteNonQueryAsync(stopping);
        cache.Connected();
        LogConnected();
        // Asynchronous commit: a barrier needs its place in the commit order, not durability.
        await using var barrier = new NpgsqlCommand("SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)", connection);
        barrier.Parameters.Add(new NpgsqlParameter<string> { TypedValue = barrierChannel });
        var token = new NpgsqlParameter<string>();
        barrier.Parameters.Add(token);
        while (true)
        {
            await cache.BarrierWanted.WaitAsync(Idle, stopping);
            var waiting = cache.TakeWaiting();
            var sent = ++barrierSent;
            try
            {
                token.TypedValue = sent.ToString(CultureInfo.InvariantCulture);
                await barrier.ExecuteNonQueryAsync(stopping);
                // PostgreSQL delivers a session's notifications in commit order: once our own is here, so is every change
                // committed before it was sent (normally already read with the command's answer).
                while (Volatile.Read(ref barrierSeen) < sent)
                    if (!await connection.WaitAsync(BarrierTimeout, stopping))
                        throw new TimeoutException($"The barrier notification {sent} did not come back within {BarrierTimeout}.");
            }
            catch
            {
                waiting.TrySetResult(false);
                throw;
            }
            waiting.TrySetResult(true);
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == barrierChannel)
        {
            if (long.TryParse(e.Payload, CultureInfo.InvariantCulture, out var seen)) Volatile.Write(ref barrierSeen, seen);
        }
        else if (ChangeNotices.TryParse(e.Payload, out var id, out var version))
        {
            cache.Changed(id, version);
        }
    }

    [LoggerMessage(LogLevel.Information, "Read cache: listening for last_operations changes; the cache answers again (emptied).")]
    private partial void LogConnected();

    [LoggerMessage(LogLevel.Warning, "Read cache: the change listener's connection failed; polls read the database until it is back (retry in {Delay}).")]
    private partial void LogDisconnected(Exception exception, TimeSpan delay);
}
