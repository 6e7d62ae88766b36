using System.Threading.Channels;
using Npgsql;

namespace EventSourced.Commands.EventStore;

public sealed partial class EventStore
{
    // PostgreSQL serializes the commits of notifying transactions cluster-wide: from PreCommit_Notify to the end of the
    // commit a notifying transaction holds one global lock, WAL flush included. A NOTIFY inside every append would make
    // appends on the whole server commit one at a time, each waiting for its own fsync (no group commit). So the
    // notification is sent after the commit, in a transaction of its own that does not wait for its WAL flush
    // (notifications are not durable anyway): the lock is then held for microseconds.
    // The payload names the sending process, whose own listeners were already woken directly.
    private const string Notify = $"SELECT set_config('synchronous_commit', 'off', true), pg_notify('{NotificationChannel}', $1)";

    // Holds at most one pending notification: appends committed while a NOTIFY is on its way share the next one.
    private readonly Channel<bool> notifications =
        Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private int notifierStarted;

    /// <summary>The payload of this process's notifications, so that its listeners can skip what they already heard.</summary>
    public string NotifierId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Raised in this process right after a commit that appended; listeners on other nodes hear it by NOTIFY.</summary>
    public event Action? Appended;

    /// <summary>
    /// Wakes the log's listeners after a commit that appended (the overloads taking a transaction leave that to their
    /// caller). Returns at once: listeners in this process are woken directly; one NOTIFY per burst of appends wakes
    /// the others, sent off the caller's path. Should it be lost (the process dies, the server is unreachable),
    /// runners still find the events at their next poll.
    /// </summary>
    public void NotifyAppended()
    {
        Appended?.Invoke();
        notifications.Writer.TryWrite(true);
        if (Interlocked.Exchange(ref notifierStarted, 1) == 0) _ = Task.Run(SendNotifications);
    }

    private async Task SendNotifications()
    {
        await foreach (var _ in notifications.Reader.ReadAllAsync())
        {
            try
            {
                await using var notify = DataSource.CreateCommand(Notify);
                notify.Parameters.Add(new() { Value = NotifierId });
                await notify.ExecuteNonQueryAsync();
            }
            catch (Exception e) when (e is NpgsqlException or ObjectDisposedException or InvalidOperationException)
            {
                // Nothing to repair: a notification only shortens the wait before a runner's next poll.
            }
        }
    }
}
