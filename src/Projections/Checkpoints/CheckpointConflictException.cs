using EventSourced.Commands.EventStore;

namespace EventSourced.Projections.Checkpoints;

/// <summary>The checkpoint was no longer where the runner loaded it from: another runner applied that batch first.</summary>
public sealed class CheckpointConflictException(string name, GlobalCursor expected)
    : Exception($"Checkpoint of '{name}' is no longer at {expected}: another runner advanced it")
{
    public string Name { get; } = name;
    public GlobalCursor Expected { get; } = expected;
}
