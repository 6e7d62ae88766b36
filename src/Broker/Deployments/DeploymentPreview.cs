using EventSourced.Commands.Catalog;
using EventSourced.Commands.CloudConfigs;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.DryRun;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Deployments.Simulation;
using EventSourced.Deployments.Yaml;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.Deployments;
using Marten;

namespace EventSourced.Broker.Deployments;

/// <summary>
/// What an update of an instance would do, before it is done: the deployment its requested plan, parameters and
/// maintenance version make (the offering's service adapter), planned against what runs now under the current cloud
/// config, and run in virtual time for the peak VM count and an estimated duration, with the step times earlier deploys
/// recorded (<see cref="RecordedStepTimes"/>). Nothing changes.
/// </summary>
public sealed class DeploymentPreview(
    CloudConfigStore cloudConfigs, ServiceCatalog catalog, IDocumentStore store, Microsoft.Extensions.Options.IOptions<LocalBackendOptions> local)
{
    /// <summary>
    /// Step times for the estimate until deploys have recorded their own: the local backend's as measured on the
    /// development machines (a new server's initdb and start about 3 s, a stop about 1 s).
    /// </summary>
    public static readonly StepTimes LocalStepTimes = new(
        Create: TimeSpan.FromSeconds(3), Delete: TimeSpan.FromSeconds(1), Attach: TimeSpan.FromMilliseconds(100),
        Detach: TimeSpan.FromMilliseconds(100), Hook: TimeSpan.FromMilliseconds(500));

    /// <returns>The report, or why there is none (as a sentence for the operator or platform).</returns>
    public async Task<(DryRunReport? Report, string? Refusal)> Of(
        ServiceInstance current, string planId, string? parameters, string? maintenanceVersion, CancellationToken ct)
    {
        var (report, _, refusal) = await Estimate(current, planId, parameters, maintenanceVersion, ct);
        return (report, refusal);
    }

    /// <returns>The report and the step times it was estimated with, or why there is none.</returns>
    public async Task<(DryRunReport? Report, RecordedStepTimes? Times, string? Refusal)> Estimate(
        ServiceInstance current, string planId, string? parameters, string? maintenanceVersion, CancellationToken ct)
    {
        if (current.Shape == InstanceShape.ClusterDatabase)
            return (null, null, $"Service instance {current.Id} is a database in cluster {current.ClusterId}: it is no deployment of its own; plan its cluster.");
        if (catalog.ProvisionerOf(current.ServiceId) is { } provisioner && provisioner.Definition.Provides.Instance != PostgresServiceAdapter.Implementation)
            return (null, null, $"The deployment engine has no service adapter for provisioner '{provisioner.Name}' ({provisioner.Definition.Provides.Instance}) yet.");
        // The implicit config offers what the deploy's does: the instance's own address and the backend's port range (for replicas).
        var (cloud, refusal) = await LocalCloudConfig.Of(cloudConfigs, current, local.Value.PortRangeStart, local.Value.PortRangeEnd, ct);
        if (cloud is null) return (null, null, char.ToUpperInvariant(refusal![0]) + refusal[1..] + ".");
        if (catalog.FindPlan(current.ServiceId, current.PlanId) is not { } from || catalog.FindPlan(current.ServiceId, planId) is not { } to)
            return (null, null, $"The plans of service instance {current.Id} are not in the catalog.");

        var actual = PostgresServiceAdapter.Actual(current, from, catalog.ReleaseOf(current.ServiceId, current.MaintenanceVersion), cloud);
        var desired = PostgresServiceAdapter.Manifest(current.Id, to, catalog.ReleaseOf(current.ServiceId, maintenanceVersion ?? current.MaintenanceVersion),
            parameters, maintenanceVersion, cloud, PostgresServiceAdapter.PrimaryAz(actual));
        if (PostgresServiceAdapter.Unplaceable(desired, cloud) is { } unplaceable)
            return (null, null, $"The deployment cannot be planned: {unplaceable}.");
        var times = await RecordedStepTimes.Latest(store, LocalStepTimes, ct);
        var report = DryRunReport.Of(Planner.Plan(desired, cloud, actual, PostgresServiceAdapter.Rules), actual, times.Times) with
            { VmTypeSettings = PostgresServiceAdapter.VmTypeSettingChanges(from, to, parameters, cloud) };
        return (report, times, null);
    }
}
