namespace EventSourced.Commands.EventStore;

/// <summary>The version of a stream that does not exist yet (a stream's first event is version 1).</summary>
public static class StreamVersion
{
    public const long NoStream = 0;
}
