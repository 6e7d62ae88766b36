using System.Diagnostics;
using JasperFx.Events;

namespace EventSourced.Commands.EventStore;

/// <summary>
/// One trace per operation across the log: an append records the W3C <c>traceparent</c> of the activity it ran in (the
/// HTTP request, or the bus message a step handles) in the event's headers, and whoever carries the event on (the bus
/// forwarder) continues that trace from it, so the spans of a PUT and of every step it caused share one trace id.
/// </summary>
public static class EventTrace
{
    public const string Header = "traceparent";

    /// <summary>The broker's own spans (the forwarder's); OpenTelemetry listens to it by this name.</summary>
    public const string ActivitySourceName = "EventSourced.Broker";

    public static readonly ActivitySource Source = new(ActivitySourceName);

    /// <summary>The current activity's traceparent, if there is one to continue.</summary>
    public static string? Current() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null;

    /// <summary>The context the event was appended in, or default (a new trace) if it recorded none.</summary>
    public static ActivityContext ParentOf(IEvent e) =>
        e.Headers is { } headers && headers.TryGetValue(Header, out var value) && value?.ToString() is { } traceparent
        && ActivityContext.TryParse(traceparent, null, out var context)
            ? context
            : default;
}
