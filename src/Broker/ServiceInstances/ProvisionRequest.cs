using System.Text.Json;

namespace EventSourced.Broker.ServiceInstances;

/// <summary>The body of <c>PUT /v2/service_instances/{id}</c> (snake_case on the wire); unknown fields are ignored.</summary>
public sealed record ProvisionRequest(
    string? ServiceId, string? PlanId, string? OrganizationGuid, string? SpaceGuid, JsonElement? Parameters, JsonElement? Context,
    MaintenanceInfoRequest? MaintenanceInfo = null);

public sealed record MaintenanceInfoRequest(string? Version);
