using EventSourced.Commands.EventStore;

namespace EventSourced.Projections.Tests.TestEvents;

public sealed record CounterIncremented(string StreamId, int Sequence, DateTimeOffset IncrementedAt) : IDomainEvent;
