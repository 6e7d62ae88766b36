using EventSourced.Provisioners.Messages;

namespace EventSourced.Provisioners.Sagas;

/// <summary>The command of each step, made from the saga's state: sent on entering the step, and again on a redelivery.</summary>
internal static class OperationCommands
{
    public static ProvisionStorage ProvisionStorage(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId, saga.DiskMb);

    public static ProvisionServer ProvisionServer(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId);

    public static ProvisionDatabase ProvisionDatabase(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId);

    public static ReconfigureServer ReconfigureServer(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId);

    public static DeprovisionDatabase DeprovisionDatabase(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId);

    public static DeprovisionServer DeprovisionServer(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId);

    public static DeprovisionStorage DeprovisionStorage(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId);

    public static CompleteOperation CompleteOperation(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId);

    public static FailOperation FailOperation(this InstanceOperationState saga) =>
        new(saga.CorrelationId, saga.InstanceId, saga.FailureReason ?? "The operation failed.");
}
