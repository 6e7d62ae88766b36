using System.Collections.Concurrent;
using MassTransit;
using Npgsql;

namespace EventSourced.Provisioners.Tests.Sagas.Orders;

/// <summary>What the saga row said when the saga's announcement arrived: shows whether the publish left after the commit.</summary>
public sealed class StatesSeenByAnnouncements
{
    public ConcurrentDictionary<Guid, string?> ByOrder { get; } = new();
}

public sealed class AcceptanceAnnouncementConsumer(NpgsqlDataSource dataSource, StatesSeenByAnnouncements seen)
    : IConsumer<OrderAcceptanceAnnounced>
{
    public async Task Consume(ConsumeContext<OrderAcceptanceAnnounced> context)
    {
        var row = await SagaRows.Find(dataSource, context.Message.OrderId);
        seen.ByOrder[context.Message.OrderId] = row?.State;
    }
}
