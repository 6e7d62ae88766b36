using System.Collections.Concurrent;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;

namespace EventSourced.Provisioners.Tests.Bus;

/// <summary>
/// The broker dying between publish and progress: the real forwarder runs the page in full (its messages are in RabbitMQ),
/// then the page fails on the given call, so Marten does not record its progress. From then on the process counts as dead:
/// every later call (whatever Marten retries) is recorded and fails without publishing anything.
/// </summary>
public sealed class CrashBeforeProgress : SubscriptionBase
{
    private readonly SubscriptionBase _inner;
    private readonly int _crashingCall;
    private readonly TaskCompletionSource<EventRange> _crashed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;
    private int _published;

    public CrashBeforeProgress(SubscriptionBase inner, int crashingCall, int batchSize)
    {
        _inner = inner;
        _crashingCall = crashingCall;
        Name = inner.Name;
        Options.BatchSize = batchSize;
    }

    /// <summary>The page the crash happened on, once it did.</summary>
    public Task<EventRange> Crashed => _crashed.Task;

    public int Published => Volatile.Read(ref _published);

    /// <summary>The calls Marten made after the crash: when, and for which range.</summary>
    public ConcurrentQueue<string> CallsAfterCrash { get; } = new();

    public override async Task<IChangeListener> ProcessEventsAsync(
        EventRange page, ISubscriptionController controller, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        if (_crashed.Task.IsCompleted)
        {
            CallsAfterCrash.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} call {call}: {page}");
            throw new InvalidOperationException($"the process is dead (call {call}, {page})");
        }
        var listener = await _inner.ProcessEventsAsync(page, controller, operations, cancellationToken);
        Interlocked.Add(ref _published, page.Events.Count);
        if (call != _crashingCall) return listener;
        _crashed.TrySetResult(page);
        throw new InvalidOperationException($"crashed after publishing page {call} ({page}), before its progress");
    }
}
