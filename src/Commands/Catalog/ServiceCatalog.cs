using Microsoft.Extensions.Options;

namespace EventSourced.Commands.Catalog;

/// <summary>
/// Looks up offerings, plans and the provisioner of each service; refuses to exist with an invalid catalog or provisioner
/// stanza so a bad configuration fails at start. The services are those of <c>Catalog:Services</c> followed by those the
/// enabled provisioner stanzas bring.
/// </summary>
public sealed class ServiceCatalog
{
    private readonly Dictionary<string, Provisioner> _provisioners = [];

    public ServiceCatalog(IOptions<CatalogOptions> options) : this(options, Options.Create(new ProvisionerDefinitionsOptions()))
    {
    }

    public ServiceCatalog(IOptions<CatalogOptions> options, IOptions<ProvisionerDefinitionsOptions> provisioners)
    {
        var enabled = provisioners.Value.Definitions.Where(d => d.Value.Enabled).OrderBy(d => d.Key, StringComparer.Ordinal).ToList();
        var located = options.Value.Services.Select((s, i) => (s, $"Catalog:Services:{i}"))
            .Concat(enabled.Where(d => d.Value.Service is not null)
                .Select(d => (d.Value.Service!, $"{ProvisionerDefinitionsOptions.DefinitionsSetting}:{d.Key}:Service")))
            .ToList();
        Services = located.Select(l => l.Item1).ToList();
        if (enabled.FirstOrDefault(d => d.Value.Default) is { Key: not null } fallback)
            foreach (var service in options.Value.Services) _provisioners.TryAdd(service.Id, new Provisioner(fallback.Key, fallback.Value));
        foreach (var (name, definition) in enabled)
            if (definition.Service is { } own) _provisioners[own.Id] = new Provisioner(name, definition);
        var problems = CatalogRules.Check(located);
        problems.AddRange(ProvisionerRules.Check(enabled, options.Value.Services.Count > 0));
        Schemas = PlanSchemas.Load(located,
            service => ProvisionerOf(service.Id)?.Definition.Offerings ?? new Dictionary<string, OfferingChoice>(), problems);
        if (problems.Count > 0)
            throw new InvalidOperationException("The service catalog configuration is invalid:\n- " + string.Join("\n- ", problems));
    }

    public IReadOnlyList<ServiceOffering> Services { get; }

    public PlanSchemas Schemas { get; }

    /// <summary>Every enabled provisioner, by its stanza's name.</summary>
    public IReadOnlyList<Provisioner> Provisioners => _provisioners.Values.DistinctBy(p => p.Name).ToList();

    public ServiceOffering? FindService(string? serviceId) => Services.FirstOrDefault(s => s.Id == serviceId);

    /// <summary>The provisioner serving a service; null when no provisioner stanza is configured at all.</summary>
    public Provisioner? ProvisionerOf(string? serviceId) => serviceId is not null && _provisioners.TryGetValue(serviceId, out var p) ? p : null;

    /// <summary>The release a maintenance version names, when the service describes its releases.</summary>
    public ServiceRelease? ReleaseOf(string? serviceId, string? version) =>
        version is null ? null : FindService(serviceId)?.Releases.FirstOrDefault(r => r.Version == version);

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
