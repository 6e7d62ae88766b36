using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.Tests.EventStore.TestEvents;

public sealed record WidgetOrdered(string StreamId, string Sku, int Quantity, DateTimeOffset OrderedAt) : IDomainEvent;

public sealed record WidgetShipped(string StreamId, Guid ParcelId, DateTimeOffset ShippedAt) : IDomainEvent;

public sealed record WidgetNoted(string StreamId, int Writer, int Sequence) : IDomainEvent;
