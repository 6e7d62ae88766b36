namespace EventSourced.Commands.EventStore;

/// <summary>The expected versions an append can state besides an exact one (a stream's first event is version 1).</summary>
public static class StreamVersion
{
    public const long NoStream = 0;
    public const long Any = -1;
}
