using Microsoft.Extensions.Options;

namespace EventSourced.Commands.Catalog;

/// <summary>Looks up offerings and plans; refuses to exist with an invalid catalog so a bad configuration fails at start.</summary>
public sealed class ServiceCatalog
{
    public ServiceCatalog(IOptions<CatalogOptions> options)
    {
        Services = options.Value.Services;
        var problems = CatalogRules.Check(Services);
        if (problems.Count > 0)
            throw new InvalidOperationException("The service catalog configuration is invalid:\n- " + string.Join("\n- ", problems));
    }

    public IReadOnlyList<ServiceOffering> Services { get; }

    public ServiceOffering? FindService(string? serviceId) => Services.FirstOrDefault(s => s.Id == serviceId);

    public ServicePlan? FindPlan(string? serviceId, string? planId) =>
        FindService(serviceId)?.Plans.FirstOrDefault(p => p.Id == planId);

    /// <summary>Whether an instance on one plan may move to another: both plan-updateable plans of the same service.</summary>
    public bool CanChangePlan(string serviceId, string fromPlanId, string toPlanId)
    {
        var service = FindService(serviceId);
        if (service is null || FindPlan(serviceId, fromPlanId) is not { } from || FindPlan(serviceId, toPlanId) is not { } to) return false;
        return fromPlanId == toPlanId || (from.PlanUpdateable ?? service.PlanUpdateable) && (to.PlanUpdateable ?? service.PlanUpdateable);
    }
}
