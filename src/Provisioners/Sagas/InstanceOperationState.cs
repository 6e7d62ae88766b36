using EventSourced.Commands.ServiceInstances;
using MassTransit;

namespace EventSourced.Provisioners.Sagas;

/// <summary>One provisioning or deprovisioning operation in flight; correlated by the OSB operation id.</summary>
public sealed class InstanceOperationState : SagaStateMachineInstance, ISagaVersion
{
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = "";
    public int Version { get; set; }
    public Guid InstanceId { get; set; }
    public OperationKind Kind { get; set; }
    public int DiskMb { get; set; }

    /// <summary>Which steps the instance is made of: a cluster has no database of its own, a cluster's database only that.</summary>
    public InstanceShape Shape { get; set; }
    public string? FailureReason { get; set; }

    /// <summary>The host the instance's resources live on, where every step of it is sent (null: any host).</summary>
    public string? Host { get; set; }

    /// <summary>How many times a nudge re-sent a stalled step: part of each step command's message id.</summary>
    public int Attempt { get; set; }
}
