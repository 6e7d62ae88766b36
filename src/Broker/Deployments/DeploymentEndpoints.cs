using System.Text.Json;
using EventSourced.Broker.CloudConfigs;
using EventSourced.Broker.Ops;
using EventSourced.Broker.Osb;
using EventSourced.Broker.ServiceInstances;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.Json;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.DryRun;
using EventSourced.Deployments.Model;
using FluentValidation;

namespace EventSourced.Broker.Deployments;

/// <summary>What an operator may ask the dry run: the instance's plan, parameters (merged into its own, as a PATCH) and release.</summary>
public sealed record DeploymentPlanRequest(string? PlanId = null, JsonElement? Parameters = null, string? MaintenanceVersion = null);

/// <summary>One instance's action; <paramref name="Az"/>, <paramref name="Host"/>: where it will run (where it ran, for a delete).</summary>
public sealed record PlannedAction(string Instance, string Action, IReadOnlyList<string> Reasons, bool Canary, string? Az = null, string? Host = null);

public sealed record PlannedGroup(string Group, int Current, int Desired, string Strategy, int? Surge, int Canaries, int MaxInFlight, int PeakVms,
    IReadOnlyList<PlannedAction> Actions);

/// <summary>
/// The dry run's answer: per group its strategy and actions, the peak VMs and the estimate (<see cref="EstimatedFrom"/>:
/// recorded step times or defaults, and how many records); the same as text.
/// </summary>
public sealed record DeploymentPlanView(
    string Deployment, bool Feasible, IReadOnlyList<string> Failures, IReadOnlyList<PlannedGroup> Groups, int PeakVms,
    double EstimatedSeconds, string Text, string? EstimatedFrom = null, int RecordedSteps = 0)
{
    /// <summary>The server settings the change of VM type changes (<c>shared_buffers 32MB → 128MB (vm_type small → large)</c>).</summary>
    public IReadOnlyList<string> VmTypeSettings { get; init; } = [];

    public static DeploymentPlanView Of(DryRunReport report, RecordedStepTimes? times = null) => new(
        report.Plan.Deployment, report.Plan.Succeeded, report.Plan.Failures,
        report.Plan.Groups.Select(g => new PlannedGroup(g.Group, g.Current, g.Desired, g.StrategyName,
            g.Strategy == UpdateStrategy.CreateSwapDelete ? g.Surge : null, g.Canaries, g.MaxInFlight,
            report.PeakVmsByGroup.GetValueOrDefault(g.Group),
            g.Actions.Select(a => new PlannedAction(a.Id, a.Kind.ToString().ToLowerInvariant(), a.Reasons, g.IsCanary(a),
                a.Target?.Az ?? a.Current?.Az, a.Target?.Host ?? a.Current?.Host)).ToList())).ToList(),
        report.PeakVms, report.EstimatedDuration.TotalSeconds, report.Render(), times?.Describe(), times?.Recorded ?? 0)
        { VmTypeSettings = report.VmTypeSettings };
}

/// <summary><c>POST /api/v1/deployments/{instanceId}/plan</c>: the dry run of an update, nothing changed.</summary>
public static class DeploymentEndpoints
{
    public static RouteGroupBuilder MapDeployments(this RouteGroupBuilder api)
    {
        api.MapPost("/deployments/{instanceId}/plan", Plan).WithTags("deployments").Accepts<DeploymentPlanRequest>("application/json")
            .Produces<DeploymentPlanView>().ProducesErrors(400, 401, 404, 409, 413);
        return api;
    }

    private static async Task<IResult> Plan(
        string instanceId, HttpRequest request, ServiceInstanceStore instances, ServiceCatalog catalog, IValidator<InstanceUpdate> validator,
        DeploymentPreview preview, CurrentCloudAzs cloudAzs, CancellationToken ct)
    {
        if (!Guid.TryParse(instanceId, out var id)) return OpsErrors.BadRequest($"instanceId must be a GUID (not '{instanceId}').");
        var (body, error) = request.ContentLength is 0 ? (new DeploymentPlanRequest(), null) : await OsbRequest.ReadBody<DeploymentPlanRequest>(request, ct, OpsApi.Json);
        if (body is null) return OpsErrors.BadRequest(error!);
        if (OsbRequest.ObjectOrAbsent(body.Parameters, "parameters") is { } notAnObject) return OpsErrors.BadRequest(notAnObject);
        var (state, _) = await instances.Load(id, ct);
        if (!state.Exists) return OpsErrors.NotFound($"Service instance {id} does not exist.");
        var planId = body.PlanId ?? state.PlanId;
        if (catalog.FindPlan(state.ServiceId, planId) is null)
            return OpsErrors.BadRequest($"Unknown planId '{planId}' for service instance {id}'s service.");
        // What the update itself would be refused for, the plan is refused for: the plan's schema, allowed plan changes.
        var cloud = body.Parameters is not null ? await cloudAzs.Read(ct) : null;
        if (validator.Validate(new InstanceUpdate(state, state.ServiceId, body.PlanId, body.Parameters, body.MaintenanceVersion, cloud)) is { IsValid: false } invalid)
            return OpsErrors.From(invalid);
        var parameters = body.Parameters is { } given ? JsonText.Merge(state.Parameters, given.GetRawText()) : state.Parameters;
        var (report, times, refusal) = await preview.Estimate(state, planId, parameters, body.MaintenanceVersion ?? state.MaintenanceVersion, ct);
        return report is null
            ? Results.Json(new OpsError("Conflict", refusal!), statusCode: StatusCodes.Status409Conflict)
            : Results.Ok(DeploymentPlanView.Of(report, times));
    }
}
