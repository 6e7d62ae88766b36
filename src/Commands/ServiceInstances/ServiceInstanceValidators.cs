using System.Text.Json;
using EventSourced.Commands.Catalog;
using FluentValidation;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>
/// What a provision request must satisfy before it is decided. A failure's error code, when it names a
/// <see cref="DomainErrorCode"/>, picks its OSB status (MaintenanceInfoConflict is a 422); every other failure is a 400.
/// </summary>
public sealed class ProvisionServiceInstanceValidator : AbstractValidator<ProvisionServiceInstance>
{
    public ProvisionServiceInstanceValidator(ServiceCatalog catalog)
    {
        RuleFor(c => c.ServiceId).NotEmpty().WithName("service_id")
            .Must(id => catalog.FindService(id) is not null).WithMessage(c => $"Unknown service_id '{c.ServiceId}'.");
        RuleFor(c => c.PlanId).NotEmpty().WithName("plan_id")
            .Must((c, planId) => catalog.FindPlan(c.ServiceId, planId) is not null)
            .WithMessage(c => $"Unknown plan_id '{c.PlanId}' for service '{c.ServiceId}'.");
        RuleFor(c => c.OrganizationGuid).NotEmpty().WithName("organization_guid");
        RuleFor(c => c.SpaceGuid).NotEmpty().WithName("space_guid");
        RuleFor(c => c.Parameters).Must(BeAJsonObject!).When(c => c.Parameters is not null).WithName("parameters")
            .WithMessage("parameters must be a JSON object.");
        When(c => catalog.FindPlan(c.ServiceId, c.PlanId) is not null && (c.Parameters is null || BeAJsonObject(c.Parameters)), () =>
            RuleFor(c => c).Custom((c, context) =>
            {
                var plan = catalog.FindPlan(c.ServiceId, c.PlanId)!;
                var parameters = c.Parameters is null ? (JsonElement?)null : JsonDocument.Parse(c.Parameters).RootElement;
                foreach (var error in catalog.Schemas.Validate(plan, SchemaKind.ServiceInstanceCreate, parameters))
                    context.AddFailure("parameters", error);
            }));
        RuleFor(c => c.MaintenanceInfoVersion)
            .Must((c, version) => version == catalog.FindPlan(c.ServiceId, c.PlanId)?.MaintenanceInfo?.Version)
            .When(c => c.MaintenanceInfoVersion is not null && catalog.FindPlan(c.ServiceId, c.PlanId) is not null)
            .WithErrorCode(nameof(DomainErrorCode.MaintenanceInfoConflict))
            .WithMessage(c => $"maintenance_info.version '{c.MaintenanceInfoVersion}' is not the plan's "
                + $"({catalog.FindPlan(c.ServiceId, c.PlanId)?.MaintenanceInfo?.Version ?? "none"}): fetch the catalog again.");
    }

    private static bool BeAJsonObject(string json)
    {
        try { return JsonDocument.Parse(json).RootElement.ValueKind == JsonValueKind.Object; }
        catch (JsonException) { return false; }
    }
}
