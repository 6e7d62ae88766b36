using System.Text.Json;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.Json;
using FluentValidation;
using FluentValidation.Results;

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
                if (InstanceCount.Refusal(plan, parameters) is { } count) context.AddFailure("parameters", count);
                foreach (var azs in AzSpread.Refusals(parameters, c.Parameters, c.Cloud, primaryHost: null)) context.AddFailure("parameters", azs);
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

/// <summary>
/// A PATCH as it meets the instance it updates: <paramref name="Instance"/> is folded from the instance's own stream (in
/// the decision's transaction), never a read model, which may lag behind or lack the row.
/// </summary>
/// <param name="Cloud">The AZs of the current cloud config (null: none uploaded), for parameter <c>azs</c>.</param>
public sealed record InstanceUpdate(
    ServiceInstance Instance, string ServiceId, string? PlanId, JsonElement? Parameters, string? MaintenanceInfoVersion, CloudAzs? Cloud = null);

/// <summary>
/// What a PATCH must satisfy against its instance: the instance's own service, parameters inside the update schema of the
/// plan it will have (the new <c>plan_id</c>, else its current plan), the maintenance version of that plan. The request's
/// ids are already known to the catalog.
/// </summary>
public sealed class InstanceUpdateValidator : AbstractValidator<InstanceUpdate>
{
    public InstanceUpdateValidator(ServiceCatalog catalog)
    {
        RuleFor(u => u.ServiceId).Equal(u => u.Instance.ServiceId).WithName("service_id")
            .WithMessage(u => $"service_id '{u.ServiceId}' is not the service of service instance {u.Instance.Id} ('{u.Instance.ServiceId}'): "
                + "an instance cannot move to another service.");
        When(u => u.ServiceId == u.Instance.ServiceId && PlanOf(catalog, u) is not null, () =>
        {
            RuleFor(u => u).Custom((u, context) =>
            {
                if (u.PlanId is { } planId && planId != u.Instance.PlanId
                    && InstanceCount.PlanChangeRefusal(u.Instance, PlanOf(catalog, u)!, u.Parameters) is { } tooMany)
                    context.AddFailure(new ValidationFailure("plan_id", tooMany) { ErrorCode = nameof(DomainErrorCode.Unprocessable) });
                if (u.Parameters is not { ValueKind: JsonValueKind.Object } parameters) return;
                foreach (var error in catalog.Schemas.Validate(PlanOf(catalog, u)!, SchemaKind.ServiceInstanceUpdate, parameters))
                    context.AddFailure("parameters", error);
                if (InstanceCount.Refusal(PlanOf(catalog, u)!, parameters) is { } count) context.AddFailure("parameters", count);
                var merged = JsonText.Merge(u.Instance.Parameters, parameters.GetRawText());
                foreach (var azs in AzSpread.Refusals(parameters, merged, u.Cloud, u.Instance.Host)) context.AddFailure("parameters", azs);
            });
            RuleFor(u => u.MaintenanceInfoVersion)
                .Must((u, version) => version == PlanOf(catalog, u)!.MaintenanceInfo?.Version)
                .When(u => u.MaintenanceInfoVersion is not null)
                .WithErrorCode(nameof(DomainErrorCode.MaintenanceInfoConflict))
                .WithMessage(u => $"maintenance_info.version '{u.MaintenanceInfoVersion}' is not the plan's "
                    + $"({PlanOf(catalog, u)!.MaintenanceInfo?.Version ?? "none"}).");
        });
    }

    /// <summary>The plan the instance will have: null when it names none of the service's plans (a plan since removed).</summary>
    public static ServicePlan? PlanOf(ServiceCatalog catalog, InstanceUpdate update) =>
        catalog.FindPlan(update.Instance.ServiceId, update.PlanId ?? update.Instance.PlanId);
}
