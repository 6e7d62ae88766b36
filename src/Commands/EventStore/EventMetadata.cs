using JasperFx.Events;
using Marten;

namespace EventSourced.Commands.EventStore;

/// <summary>
/// Who and what caused an append: the correlation id follows one OSB operation end to end, the causation id names the
/// message that led to it, and the OSB originating/request identities are kept as the platform sent them. Stored in
/// Marten's own metadata columns (correlation_id, causation_id) and headers, with the trace the append ran in
/// (<see cref="EventTrace"/>).
/// </summary>
public sealed record EventMetadata(
    Guid CorrelationId,
    Guid? CausationId = null,
    string? OriginatingIdentity = null,
    string? RequestIdentity = null)
{
    public const string OriginatingIdentityHeader = "originating-identity";
    public const string RequestIdentityHeader = "request-identity";

    /// <summary>Stamps every event this session appends.</summary>
    public void ApplyTo(IDocumentSession session)
    {
        session.CorrelationId = CorrelationId.ToString();
        session.CausationId = CausationId?.ToString();
        if (OriginatingIdentity is not null) session.SetHeader(OriginatingIdentityHeader, OriginatingIdentity);
        if (RequestIdentity is not null) session.SetHeader(RequestIdentityHeader, RequestIdentity);
        if (EventTrace.Current() is { } traceparent) session.SetHeader(EventTrace.Header, traceparent);
    }

    public static EventMetadata Of(IEvent e) => new(
        Guid.TryParse(e.CorrelationId, out var correlation) ? correlation : Guid.Empty,
        Guid.TryParse(e.CausationId, out var causation) ? causation : null,
        Header(e, OriginatingIdentityHeader),
        Header(e, RequestIdentityHeader));

    private static string? Header(IEvent e, string name) =>
        e.Headers is { } headers && headers.TryGetValue(name, out var value) ? value?.ToString() : null;
}
