using System.Collections.Concurrent;
using EventSourced.Commands.EventStore;
using JasperFx;
using Marten;
using MassTransit;

namespace EventSourced.Provisioners.Tests.Bus;

/// <summary>
/// A consumer as the house writes them: its inbox entry and its own effect in one Marten session (one transaction). Its
/// rows have no unique key of their own, so only the inbox stands between a redelivery and a second row; every handled
/// delivery is counted.
/// </summary>
public sealed class ParcelScanApplier(IDocumentStore store, ParcelScanDeliveries deliveries) : IConsumer<ParcelScanned>
{
    public async Task Consume(ConsumeContext<ParcelScanned> context)
    {
        var messageId = context.MessageId!.Value;
        await Apply(messageId, context.Message, context.CancellationToken);
        deliveries.Seen(messageId);
    }

    private async Task Apply(Guid messageId, ParcelScanned scan, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        session.Insert(InboxEntry.For(nameof(ParcelScanApplier), messageId, DateTimeOffset.UtcNow));
        session.Insert(new AppliedScan(Guid.NewGuid(), messageId, scan.StreamId, scan.Sequence));
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (DocumentAlreadyExistsException e) when (e.DocumentType == typeof(InboxEntry))
        {
            // Handled before: the whole session rolled back, the row included.
        }
    }
}

/// <summary>One application of a scan; its id is new on every delivery, the event id is what a duplicate would repeat.</summary>
public sealed record AppliedScan(Guid Id, Guid EventId, string StreamId, int Sequence);

public sealed class ParcelScanDeliveries
{
    private readonly ConcurrentDictionary<Guid, int> _byMessage = new();

    public void Seen(Guid messageId) => _byMessage.AddOrUpdate(messageId, 1, (_, n) => n + 1);

    public int Total => _byMessage.Values.Sum();
    public int Redelivered => _byMessage.Values.Count(n => n > 1);
}
