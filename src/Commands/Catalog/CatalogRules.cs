using System.Text.RegularExpressions;

namespace EventSourced.Commands.Catalog;

internal static partial class CatalogRules
{
    /// <summary>Every problem of the services, each named by its setting (<paramref name="services"/> pairs a service with where it is configured).</summary>
    public static List<string> Check(IReadOnlyList<(ServiceOffering Service, string Where)> services)
    {
        var problems = new List<string>();
        if (services.Count == 0) problems.Add("Catalog:Services is empty: configure at least one service offering.");
        foreach (var (service, where) in services)
        {
            if (string.IsNullOrWhiteSpace(service.Id)) problems.Add($"{where}:Id is required.");
            if (string.IsNullOrWhiteSpace(service.Name)) problems.Add($"{where}:Name is required.");
            if (string.IsNullOrWhiteSpace(service.Description)) problems.Add($"{where}:Description is required.");
            if (service.Plans.Count == 0) problems.Add($"{where}:Plans is empty.");
            foreach (var (plan, j) in service.Plans.Select((p, j) => (p, j)))
                problems.AddRange(CheckPlan(service, plan, $"{where}:Plans:{j}"));
            problems.AddRange(CheckReleases(service, where));
        }
        var ids = services.Select(s => s.Service.Id).Concat(services.SelectMany(s => s.Service.Plans).Select(p => p.Id));
        problems.AddRange(ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => $"Id '{g.Key}' is used more than once."));
        return problems;
    }

    /// <summary>Releases named once each, by a semantic version; a service that lists releases lists every plan's.</summary>
    private static IEnumerable<string> CheckReleases(ServiceOffering service, string where)
    {
        foreach (var (release, k) in service.Releases.Select((r, k) => (r, k)))
            if (!SemanticVersion().IsMatch(release.Version))
                yield return $"{where}:Releases:{k}:Version '{release.Version}' is not a semantic version (e.g. 1.0.0).";
        foreach (var twice in service.Releases.GroupBy(r => r.Version).Where(g => g.Count() > 1))
            yield return $"{where}:Releases: version '{twice.Key}' is described more than once.";
        if (service.Releases.Count == 0) yield break;
        foreach (var (plan, j) in service.Plans.Select((p, j) => (p, j)))
            if (plan.MaintenanceInfo is { } maintenance && service.Releases.All(r => r.Version != maintenance.Version))
                yield return $"{where}:Plans:{j}:MaintenanceInfo:Version '{maintenance.Version}' is not among {where}:Releases.";
    }

    private static IEnumerable<string> CheckPlan(ServiceOffering service, ServicePlan plan, string where)
    {
        if (string.IsNullOrWhiteSpace(plan.Id)) yield return $"{where}:Id is required.";
        if (string.IsNullOrWhiteSpace(plan.Name)) yield return $"{where}:Name is required.";
        if (string.IsNullOrWhiteSpace(plan.Description)) yield return $"{where}:Description is required.";
        if (plan.Shape == ServiceInstances.InstanceShape.ClusterDatabase)
        {
            if (plan.DiskMb != 0) yield return $"{where}:DiskMb must be 0 for a ClusterDatabase plan: its database lives on its cluster's disk.";
            if (!service.IsBindable(plan)) yield return $"{where}: a ClusterDatabase plan must be bindable (apps bind to the databases).";
        }
        else if (plan.DiskMb <= 0) yield return $"{where}:DiskMb must be positive.";
        if (plan.Shape == ServiceInstances.InstanceShape.Server && !service.IsBindable(plan))
            yield return $"{where}: a Server plan must be bindable (apps bind to the server itself).";
        if (plan.Shape == ServiceInstances.InstanceShape.Cluster && service.IsBindable(plan))
            yield return $"{where}: a Cluster plan must not be bindable (apps bind to its databases): set Bindable to false.";
        if (plan.MaximumPollingDuration <= 0) yield return $"{where}:MaximumPollingDuration must be a positive number of seconds.";
        if (plan.CredentialLifetime <= TimeSpan.Zero) yield return $"{where}:CredentialLifetime must be positive.";
        if (plan.MaintenanceInfo is { } maintenance && !SemanticVersion().IsMatch(maintenance.Version))
            yield return $"{where}:MaintenanceInfo:Version '{maintenance.Version}' is not a semantic version (e.g. 1.0.0).";
        if (plan.BindingRotatable && !service.IsBindable(plan)) yield return $"{where}:BindingRotatable needs a bindable plan.";
        if (plan.AllowedPlanTransitions.Count > 0 && !service.IsPlanUpdateable(plan))
            yield return $"{where}:AllowedPlanTransitions needs a plan-updateable plan (PlanUpdateable).";
        foreach (var target in plan.AllowedPlanTransitions)
        {
            var other = service.Plans.FirstOrDefault(p => p.Id == target && p != plan);
            if (other is null) yield return $"{where}:AllowedPlanTransitions: '{target}' is not another plan of this service.";
            else if (!service.IsPlanUpdateable(other)) yield return $"{where}:AllowedPlanTransitions: plan '{target}' is not plan-updateable.";
            else if (other.Shape != plan.Shape) yield return $"{where}:AllowedPlanTransitions: plan '{target}' is a {other.Shape} plan, this one a {plan.Shape}.";
        }
    }

    // semver.org 2.0.0, the recommended expression.
    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")]
    private static partial Regex SemanticVersion();
}
