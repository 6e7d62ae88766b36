using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>
/// The deployment engine's plan for an operation, recorded before anything runs, so that a worker dying mid-deploy leaves
/// the next one the same plan to resume (not a new plan made against a half-changed backend). <paramref name="Plan"/>
/// is the engine's plan as JSON (the engine's own type; this assembly does not know it); <paramref name="Actions"/> the
/// actions as an operator reads them (<c>postgres/0 restart (property postgres.max_connections)</c>).
/// </summary>
public sealed record DeploymentPlanned(
    Guid InstanceId, Guid OperationId, string Deployment, IReadOnlyList<string> Actions, string Plan, DateTimeOffset PlannedAt) : IDomainEvent;

/// <summary>
/// One step of the deploy done: on which deployment instance (<c>postgres/0</c>; empty for deleting an orphaned VM), which
/// step (<c>create VM</c>, <c>stop</c>, <c>start</c>…), on which VM, and how long it took (what later estimates use). A
/// resumed deploy does not run a step recorded for its operation again.
/// </summary>
public sealed record DeploymentStepCompleted(
    Guid InstanceId, Guid OperationId, string Instance, string Step, string Vm, double Seconds, DateTimeOffset CompletedAt) : IDomainEvent;

/// <summary>A step the deploy of the operation in progress completed.</summary>
public sealed record DeploymentStep(string Instance, string Step, string Vm, double Seconds);

/// <summary>The deploy of the instance's operation in progress: its recorded plan (and its actions, as read) and the steps done so far.</summary>
public sealed record DeploymentProgress(
    Guid OperationId, string Plan, System.Collections.Immutable.ImmutableList<DeploymentStep> Steps, IReadOnlyList<string>? Actions = null)
{
    /// <summary>What last_operation says once the plan is recorded.</summary>
    public static string Planned(IReadOnlyList<string> actions) =>
        actions.Count == 0 ? "Deploying: nothing to change" : $"Deploying {actions.Count} instance{(actions.Count == 1 ? "" : "s")}: {string.Join("; ", actions)}";

    /// <summary>What last_operation says once <paramref name="instance"/> completed <paramref name="step"/>: "Updating 2 of 3 instances: replicas/1 start done".</summary>
    /// <param name="verb">What the deploy does to its instances: "Updating" (an update), "Creating" (a provisioning).</param>
    public string Describe(string instance, string step, string verb = "Updating")
    {
        if (instance.Length == 0) return $"Deploying: {step} of an orphaned VM done";
        var touched = Steps.Select(s => s.Instance).Where(i => i.Length > 0).Append(instance).Distinct().ToList();
        var total = Math.Max(Actions?.Count ?? 0, touched.Count);
        return $"{verb} {touched.IndexOf(instance) + 1} of {total} instance{(total == 1 ? "" : "s")}: {instance} {step} done";
    }

    /// <summary>The VM the instance <paramref name="instance"/> was last started on in this deploy, if it was.</summary>
    public string? StartedVm(string instance) => Steps.LastOrDefault(s => s.Instance == instance && s.Step == "start")?.Vm;
}

/// <summary>Record the engine's plan for the operation in progress (once: a plan already recorded stays the plan).</summary>
public sealed record RecordDeploymentPlanned(Guid OperationId, string Deployment, IReadOnlyList<string> Actions, string Plan, DateTimeOffset Now);

/// <summary>Record a completed step of the operation's deploy (once per instance, step and VM).</summary>
public sealed record RecordDeploymentStep(Guid OperationId, string Instance, string Step, string Vm, double Seconds, DateTimeOffset Now);

/// <summary>The rules of a deploy's records: only for the operation in progress, each at most once.</summary>
public static class DeploymentDecisions
{
    public static Decision Decide(ServiceInstance state, RecordDeploymentPlanned command) =>
        Refusal(state, command.OperationId)
        ?? (state.Deployment?.OperationId == command.OperationId
            ? new Decision.AlreadyDone()
            : new Decision.Accepted(command.OperationId,
                [new DeploymentPlanned(state.Id, command.OperationId, command.Deployment, command.Actions, command.Plan, command.Now)]));

    public static Decision Decide(ServiceInstance state, RecordDeploymentStep command) =>
        Refusal(state, command.OperationId)
        ?? (state.Deployment?.OperationId != command.OperationId
            ? Decision.Reject(DomainErrorCode.Conflict, $"Operation {command.OperationId} has no recorded deployment plan.")
        : state.Deployment.Steps.Any(s => s.Instance == command.Instance && s.Step == command.Step && s.Vm == command.Vm)
            ? new Decision.AlreadyDone()
            : new Decision.Accepted(command.OperationId, [
                new DeploymentStepCompleted(state.Id, command.OperationId, command.Instance, command.Step, command.Vm, command.Seconds, command.Now),
            ]));

    /// <summary>Why no record of the operation's deploy is taken (not the operation in progress, or one being rolled back); null: taken.</summary>
    private static Decision? Refusal(ServiceInstance state, Guid operationId) =>
        state.LastOperation is not { InProgress: true } current || current.Id != operationId
            ? Decision.Reject(DomainErrorCode.Conflict, $"Operation {operationId} is not in progress.")
        : state.RollingBack
            ? Decision.Reject(DomainErrorCode.Conflict, $"Operation {operationId} is being rolled back: nothing more is deployed for it.")
            : null;
}
