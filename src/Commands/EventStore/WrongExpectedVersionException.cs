namespace EventSourced.Commands.EventStore;

/// <summary>An append lost an optimistic concurrency check: the stream was not at the version the writer decided on.</summary>
public sealed class WrongExpectedVersionException(string streamId, long expectedVersion, Exception? inner = null)
    : Exception($"Stream '{streamId}' was expected {Describe(expectedVersion)}, but it is not; nothing was appended.", inner)
{
    public string StreamId { get; } = streamId;
    public long ExpectedVersion { get; } = expectedVersion;

    private static string Describe(long expectedVersion) => expectedVersion switch
    {
        StreamVersion.NoStream => "not to exist",
        _ => $"at version {expectedVersion}",
    };
}
