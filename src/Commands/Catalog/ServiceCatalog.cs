using Microsoft.Extensions.Options;

namespace EventSourced.Commands.Catalog;

/// <summary>Looks up offerings and plans; refuses to exist with an invalid catalog so a bad configuration fails at start.</summary>
public sealed class ServiceCatalog
{
    public ServiceCatalog(IOptions<CatalogOptions> options)
    {
        Services = options.Value.Services;
        var problems = CatalogRules.Check(Services);
        Schemas = PlanSchemas.Load(Services, problems);
        if (problems.Count > 0)
            throw new InvalidOperationException("The service catalog configuration is invalid:\n- " + string.Join("\n- ", problems));
    }

    public IReadOnlyList<ServiceOffering> Services { get; }

    public PlanSchemas Schemas { get; }

    public ServiceOffering? FindService(string? serviceId) => Services.FirstOrDefault(s => s.Id == serviceId);

    public ServicePlan? FindPlan(string? serviceId, string? planId) =>
        FindService(serviceId)?.Plans.FirstOrDefault(p => p.Id == planId);

    /// <summary>Whether an instance may change from one plan to another: both plan-updateable and the transition configured.</summary>
    public bool AllowsPlanChange(string? serviceId, string? fromPlanId, string? toPlanId) =>
        FindService(serviceId) is { } service && FindPlan(serviceId, fromPlanId) is { } from && FindPlan(serviceId, toPlanId) is { } to
        && service.IsPlanUpdateable(from) && service.IsPlanUpdateable(to) && from.AllowedPlanTransitions.Contains(to.Id);
}

public static class ServiceOfferingExtensions
{
    public static bool IsBindable(this ServiceOffering service, ServicePlan plan) => plan.Bindable ?? service.Bindable;

    public static bool IsPlanUpdateable(this ServiceOffering service, ServicePlan plan) => plan.PlanUpdateable ?? service.PlanUpdateable;

    /// <summary>When an operation on this plan that starts now is past its maximum polling duration (none: no deadline of its own).</summary>
    public static DateTimeOffset? DeadlineFrom(this ServicePlan plan, DateTimeOffset start) =>
        plan.MaximumPollingDuration is { } seconds ? start.AddSeconds(seconds) : null;
}
