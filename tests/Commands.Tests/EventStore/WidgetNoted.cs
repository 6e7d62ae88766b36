using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>A test event: writer <see cref="Writer"/>'s <see cref="Sequence"/>th note on a stream.</summary>
public sealed record WidgetNoted(string StreamKey, int Writer, int Sequence) : IDomainEvent;
