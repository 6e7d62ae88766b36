using EventSourced.Broker.Admin;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;

namespace EventSourced.Broker.Ops;

/// <summary>One recorded step of a job: the event's type, what it did in words, and when it was recorded.</summary>
public sealed record JobStep(string Name, string Description, DateTimeOffset At);

/// <summary>Who asked for a job: the platform (<c>ops</c> for the ops API) and its user, from the request's originating identity.</summary>
public sealed record JobRequester(string Platform, string? User);

/// <summary>A job as <c>GET /api/v1/ops/jobs/{jobId}</c> answers it; <see cref="State"/> is spelled as OSB spells operation states.</summary>
public sealed record JobView(
    Guid JobId, string Kind, string State, string Description, Guid InstanceId, string OwnerId, string ServiceId, string PlanId,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? Error, JobRequester? RequestedBy, IReadOnlyList<JobStep> Steps)
{
    public bool Finished => State != OperationStates.InProgress;
}

/// <summary>The ops API's names of operation kinds.</summary>
public static class Kinds
{
    public static string Of(OperationKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>A provisioning that restores a snapshot: an import job.</summary>
    public const string Import = "import";

    /// <summary>The job's kind: an import is the provisioning of an instance restored from a snapshot.</summary>
    public static string Of(Operation operation, ServiceInstance instance) =>
        operation.Kind == OperationKind.Provision && instance.RestoreFromSnapshot is not null && instance.ProvisioningOf(instance.LastOperation?.Id ?? Guid.Empty) == operation.Id
            ? Import
            : Of(operation.Kind);
}

/// <summary>
/// Jobs read back: the operation from the instance's inline row (there as soon as the job was accepted), its steps from
/// the instance's stream (every event recorded under the operation's id as correlation id).
/// </summary>
public sealed class OpsJobs(LastOperations lastOperations, InstanceHistory history)
{
    public async Task<JobView?> Find(Guid jobId, CancellationToken ct)
    {
        var instance = await lastOperations.FindByOperation(jobId, ct);
        if (instance?.Operations.LastOrDefault(o => o.Id == jobId) is not { } operation) return null;
        var entries = (await history.Events(instance.Id, ct)).Where(e => e.CorrelationId == jobId).ToList();
        var requester = entries.FirstOrDefault()?.OriginatingIdentity is { } header && OriginatingIdentity.TryParse(header, out var identity)
            ? new JobRequester(identity!.Platform, identity.UserId)
            : null;
        return new JobView(jobId, Kinds.Of(operation, instance), OperationStates.Osb(operation.State), operation.Description, instance.Id,
            instance.OrganizationGuid, instance.ServiceId, instance.PlanId, operation.StartedAt, operation.FinishedAt,
            operation.State == OperationState.Failed ? operation.Description : null, requester,
            entries.Select(e => new JobStep(e.Type, e.Description, e.RecordedAt)).ToList());
    }
}
