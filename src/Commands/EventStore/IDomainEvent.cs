namespace EventSourced.Commands.EventStore;

/// <summary>Marks the payload records that are stored in the event log; the type's name is its stored event type.</summary>
public interface IDomainEvent;
