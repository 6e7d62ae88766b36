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
}
