namespace EventSourced.Commands.EventStore;

/// <summary>
/// Who and what caused an append: the correlation id follows one OSB operation end to end, the causation id names the
/// message that led to it, and the OSB originating/request identities are kept as the platform sent them.
/// </summary>
public sealed record EventMetadata(
    Guid CorrelationId,
    Guid? CausationId = null,
    string? OriginatingIdentity = null,
    string? RequestIdentity = null);
