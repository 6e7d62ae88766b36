using EventSourced.Commands.EventStore;
using EventSourced.Projections.Subscriptions;
using Npgsql;

namespace EventSourced.Provisioners.Tests.Bus;

/// <summary>
/// The broker dying between publish and checkpoint: the inner subscription runs in full (its messages are in RabbitMQ),
/// then the batch fails on the listed calls, so the runner's transaction and its checkpoint roll back.
/// </summary>
public sealed class CrashBeforeCheckpoint(IEventSubscription inner, params int[] crashingCalls) : IEventSubscription
{
    private readonly HashSet<int> _crashingCalls = [.. crashingCalls];
    private int _calls;

    public string Name => inner.Name;
    public int Crashes { get; private set; }
    public int Published { get; private set; }

    public async Task Handle(IReadOnlyList<RecordedEvent> batch, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await inner.Handle(batch, connection, transaction, ct);
        Published += batch.Count;
        if (!_crashingCalls.Contains(++_calls)) return;
        Crashes++;
        throw new InvalidOperationException($"crashed after publishing batch {_calls} ({batch.Count} events), before its checkpoint");
    }
}
