using EventSourced.Commands.EventStore;

namespace EventSourced.Provisioners.Tests.Bus;

public sealed record ParcelScanned(string StreamId, int Sequence, DateTimeOffset ScannedAt) : IDomainEvent;
