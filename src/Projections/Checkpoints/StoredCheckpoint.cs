using EventSourced.Commands.EventStore;

namespace EventSourced.Projections.Checkpoints;

public sealed record StoredCheckpoint(string Name, GlobalCursor Cursor, DateTimeOffset UpdatedAt);
