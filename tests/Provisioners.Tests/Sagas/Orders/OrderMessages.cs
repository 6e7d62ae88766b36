namespace EventSourced.Provisioners.Tests.Sagas.Orders;

public sealed record OrderSubmitted(Guid OrderId, string OrderNumber, DateTimeOffset AcceptBy);

public sealed record OrderLineAdded(Guid OrderId);

public sealed record OrderAccepted(Guid OrderId);

public sealed record OrderCompleted(Guid OrderId);

public sealed record OrderAcceptanceAnnounced(Guid OrderId);
