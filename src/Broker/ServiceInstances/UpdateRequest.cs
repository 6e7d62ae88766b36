using System.Text.Json;

namespace EventSourced.Broker.ServiceInstances;

/// <summary>The body of <c>PATCH /v2/service_instances/{id}</c>; <c>previous_values</c> is accepted and not needed.</summary>
public sealed record UpdateRequest(
    string? ServiceId, string? PlanId, JsonElement? Parameters, JsonElement? Context, MaintenanceInfo? MaintenanceInfo,
    JsonElement? PreviousValues);

public sealed record MaintenanceInfo(string? Version, string? Description);
