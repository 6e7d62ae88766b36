using EventSourced.Commands.Hosts;

namespace EventSourced.Provisioners.Messages;

// Commands the saga sends to the sub-provisioners. Their answers come back as events recorded in the instance's stream.

/// <summary>A step on the instance's own resources names the host they live on (null: any host, for instances made before hosts).</summary>
public abstract record OnHost : IRunsOnHost
{
    public string? Host { get; init; }
}

public sealed record ProvisionStorage(Guid OperationId, Guid InstanceId, int DiskMb) : OnHost;

public sealed record ProvisionServer(Guid OperationId, Guid InstanceId) : OnHost;

public sealed record ProvisionDatabase(Guid OperationId, Guid InstanceId) : OnHost;

public sealed record DeprovisionDatabase(Guid OperationId, Guid InstanceId) : OnHost;

public sealed record DeprovisionServer(Guid OperationId, Guid InstanceId) : OnHost;

public sealed record DeprovisionStorage(Guid OperationId, Guid InstanceId) : OnHost;

/// <summary>Every step is done: record the operation as succeeded.</summary>
public sealed record CompleteOperation(Guid OperationId, Guid InstanceId);

/// <summary>The operation could not be carried out (and what it created is removed): record it as failed.</summary>
public sealed record FailOperation(Guid OperationId, Guid InstanceId, string Reason);

/// <summary>Apply the pending update: the plan's disk and the parameters' server settings.</summary>
public sealed record ReconfigureServer(Guid OperationId, Guid InstanceId) : OnHost;
