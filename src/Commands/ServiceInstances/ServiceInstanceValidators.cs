using System.Text.Json;
using EventSourced.Commands.Catalog;
using FluentValidation;

namespace EventSourced.Commands.ServiceInstances;

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
    }

    private static bool BeAJsonObject(string json)
    {
        try { return JsonDocument.Parse(json).RootElement.ValueKind == JsonValueKind.Object; }
        catch (JsonException) { return false; }
    }
}
