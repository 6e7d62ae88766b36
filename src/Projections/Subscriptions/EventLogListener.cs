using EventSourced.Commands.EventStore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace EventSourced.Projections.Subscriptions;

/// <summary>
/// Wakes every waiting runner on each append: appends of this process directly, those of other nodes through one
/// dedicated connection that LISTENs on the event store's channel. Runners take <see cref="NextAppend"/> before they
/// read, so an append committed meanwhile is never missed.
/// </summary>
public sealed class EventLogListener(EventStore store, ILogger<EventLogListener> logger) : IAsyncDisposable
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    private TaskCompletionSource next = NewSignal();
    private CancellationTokenSource? stopping;
    private Task listening = Task.CompletedTask;

    /// <summary>Completes at the next notification (or whenever the connection is re-established).</summary>
    public Task NextAppend => Volatile.Read(ref next).Task;

    /// <summary>Returns once LISTEN is in effect; keeps listening (reconnecting on failure) until disposed.</summary>
    public async Task Start(CancellationToken ct)
    {
        var connection = await Listen(ct);
        store.Appended += Signal;
        stopping = new CancellationTokenSource();
        listening = Task.Run(() => Receive(connection, stopping.Token), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (stopping is null) return;
        store.Appended -= Signal;
        await stopping.CancelAsync();
        await listening;
        stopping.Dispose();
        stopping = null;
    }

    private async Task<NpgsqlConnection> Listen(CancellationToken ct)
    {
        var connection = await store.DataSource.OpenConnectionAsync(ct);
        try
        {
            connection.Notification += (_, e) =>
            {
                if (e.Payload != store.NotifierId) Signal();
            };
            await using var command = new NpgsqlCommand($"LISTEN {EventStore.NotificationChannel}", connection);
            await command.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task Receive(NpgsqlConnection? connection, CancellationToken ct)
    {
        while (connection is not null && !ct.IsCancellationRequested)
        {
            try
            {
                await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Lost the {Channel} listener connection; reconnecting", EventStore.NotificationChannel);
                await connection.DisposeAsync();
                connection = await Reconnect(ct);
                Signal(); // appends while disconnected sent notifications nobody heard
            }
        }
        if (connection is not null) await Release(connection);
    }

    // Pooled connections are not reset when returned (see AddCommands): the LISTEN is ended before this one goes back.
    private static async Task Release(NpgsqlConnection connection)
    {
        try
        {
            await using var unlisten = new NpgsqlCommand("UNLISTEN *", connection);
            await unlisten.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
        }
        await connection.DisposeAsync();
    }

    /// <summary>Null once stopping.</summary>
    private async Task<NpgsqlConnection?> Reconnect(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ReconnectDelay, ct);
                return await Listen(ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning(e, "Reconnecting the {Channel} listener failed", EventStore.NotificationChannel);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return null;
    }

    private void Signal() => Interlocked.Exchange(ref next, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
