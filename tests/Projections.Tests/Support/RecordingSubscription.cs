using System.Collections.Concurrent;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;

namespace EventSourced.Projections.Tests.Support;

/// <summary>A Marten subscription like the bus forwarder that records the streams of the events it was handed.</summary>
public sealed class RecordingSubscription : SubscriptionBase
{
    public RecordingSubscription() => Name = "recording";

    public ConcurrentDictionary<string, int> Streams { get; } = new();

    public override Task<IChangeListener> ProcessEventsAsync(
        EventRange page, ISubscriptionController controller, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        foreach (var e in page.Events) Streams.AddOrUpdate(e.StreamKey ?? "", 1, (_, n) => n + 1);
        return Task.FromResult<IChangeListener>(NullChangeListener.Instance);
    }
}
