using System.Text.Json;

namespace EventSourced.Broker.ServiceBindings;

/// <summary>The body of <c>PUT …/service_bindings/{id}</c> (snake_case on the wire); unknown fields are ignored.</summary>
public sealed record BindRequest(
    string? ServiceId, string? PlanId, string? AppGuid, BindResource? BindResource, JsonElement? Parameters, JsonElement? Context,
    string? PredecessorBindingId);

public sealed record BindResource(string? AppGuid, string? Route);

