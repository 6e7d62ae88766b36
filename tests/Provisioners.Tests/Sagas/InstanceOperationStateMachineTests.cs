using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Messages;
using EventSourced.Provisioners.Sagas;
using EventSourced.TestSupport;
using MassTransit;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>The operation saga's logic on MassTransit's in-memory test harness: which command follows which event.</summary>
public sealed class InstanceOperationStateMachineTests : OperationSagaSpec
{

    [Fact]
    public async Task Provisioning_DrivesStorageServerDatabaseInOrder_ThenCompletes()
    {
        await Publish(new ServiceInstanceProvisioningRequested(InstanceId, OperationId, "pg", "small", "o", "s", null, null, 2048, Now));
        Assert.NotNull(await Saga.Exists(OperationId, m => m.CreatingStorage));
        Assert.True(await Sent<ProvisionStorage>(m => m.DiskMb == 2048));

        await Publish(new StorageProvisioned(InstanceId, OperationId, "/d", 2048, Now));
        Assert.NotNull(await Saga.Exists(OperationId, m => m.CreatingServer));
        Assert.True(await Sent<ProvisionServer>());
        await Publish(new ServerProvisioned(InstanceId, OperationId, "127.0.0.1", 56001, Now));
        Assert.NotNull(await Saga.Exists(OperationId, m => m.CreatingDatabase));
        Assert.True(await Sent<ProvisionDatabase>());
        await Publish(new DatabaseProvisioned(InstanceId, OperationId, "service", "admin", "v1:x", Now));
        Assert.NotNull(await Saga.Exists(OperationId, m => m.Completing));
        Assert.True(await Sent<CompleteOperation>());

        await Publish(new ServiceInstanceProvisioned(InstanceId, OperationId, Now));
        Assert.NotNull(await Saga.Exists(OperationId, m => m.Final));
    }

    [Fact]
    public async Task Provisioning_StepFailure_RollsBackInReverseOrder_ThenFails()
    {
        await Publish(new ServiceInstanceProvisioningRequested(InstanceId, OperationId, "pg", "small", "o", "s", null, null, 1024, Now));
        await Publish(new StorageProvisioned(InstanceId, OperationId, "/d", 1024, Now));
        Assert.True(await Sent<ProvisionServer>());
        await Publish(new ResourceProvisioningFailed(InstanceId, OperationId, ResourceKind.Server, "no free port", Now));

        Assert.True(await Sent<DeprovisionDatabase>());
        await Publish(new DatabaseDeprovisioned(InstanceId, OperationId, Now));
        Assert.True(await Sent<DeprovisionServer>());
        await Publish(new ServerDeprovisioned(InstanceId, OperationId, Now));
        Assert.True(await Sent<DeprovisionStorage>());
        await Publish(new StorageDeprovisioned(InstanceId, OperationId, Now));
        Assert.True(await Sent<FailOperation>(m => m.Reason.Contains("no free port")));
        // FailOperation is the last command of the rollback: had the saga also completed, it would have said so before.
        Assert.Empty(PublishedOf<CompleteOperation>());
    }

    [Fact]
    public async Task Provisioning_TimedOut_RollsBack()
    {
        await Publish(new ServiceInstanceProvisioningRequested(InstanceId, OperationId, "pg", "small", "o", "s", null, null, 1024, Now));
        await Publish(new ServiceInstanceOperationTimedOut(InstanceId, OperationId, Now));
        Assert.True(await Sent<DeprovisionDatabase>());
        Assert.NotNull(await Saga.Exists(OperationId, m => m.RemovingDatabase));
    }

    [Fact]
    public async Task Deprovisioning_RemovesDatabaseServerStorage_ThenCompletes()
    {
        await Publish(new ServiceInstanceDeprovisioningRequested(InstanceId, OperationId, Now));
        Assert.True(await Sent<DeprovisionDatabase>());
        await Publish(new DatabaseDeprovisioned(InstanceId, OperationId, Now));
        Assert.True(await Sent<DeprovisionServer>());
        await Publish(new ServerDeprovisioned(InstanceId, OperationId, Now));
        Assert.True(await Sent<DeprovisionStorage>());
        await Publish(new StorageDeprovisioned(InstanceId, OperationId, Now));
        Assert.True(await Sent<CompleteOperation>());
        await Publish(new ServiceInstanceDeprovisioned(InstanceId, OperationId, Now));
        Assert.NotNull(await Saga.Exists(OperationId, m => m.Final));
    }

    [Fact]
    public async Task RepeatedEvent_InTheStateItLedTo_SendsThatStepAgain()
    {
        // A broker that died after committing the saga's new state but before its command left gets the event again.
        await Publish(new ServiceInstanceProvisioningRequested(InstanceId, OperationId, "pg", "small", "o", "s", null, null, 1024, Now));
        await Publish(new StorageProvisioned(InstanceId, OperationId, "/d", 1024, Now));
        Assert.True(await Sent<ProvisionServer>());
        await Publish(new StorageProvisioned(InstanceId, OperationId, "/d", 1024, Now));
        await WaitUntilPublished<ProvisionServer>(2);
        Assert.NotNull(await Saga.Exists(OperationId, m => m.CreatingServer));
    }

    [Fact]
    public async Task RepeatedEvent_OfAnEarlierState_IsIgnored()
    {
        await Publish(new ServiceInstanceProvisioningRequested(InstanceId, OperationId, "pg", "small", "o", "s", null, null, 1024, Now));
        await Publish(new StorageProvisioned(InstanceId, OperationId, "/d", 1024, Now));
        await Publish(new ServerProvisioned(InstanceId, OperationId, "127.0.0.1", 56001, Now));
        Assert.True(await Sent<ProvisionDatabase>());
        await Publish(new StorageProvisioned(InstanceId, OperationId, "/d", 1024, Now));
        await Publish(new ServiceInstanceProvisioningRequested(InstanceId, OperationId, "pg", "small", "o", "s", null, null, 1024, Now));
        // The saga has handled both repeats (what it publishes while handling one is recorded before it counts as consumed).
        await ConsumedBySaga<StorageProvisioned>(2);
        await ConsumedBySaga<ServiceInstanceProvisioningRequested>(2);
        // Counted as delivered, not from the harness's list: a wrong re-send would carry the step's own message id.
        await Harness.InactivityTask;
        Assert.Single(Log.MessageIds<ProvisionServer>(OperationId));
        Assert.Single(Log.MessageIds<ProvisionStorage>(OperationId));
        Assert.NotNull(await Saga.Exists(OperationId, m => m.CreatingDatabase));
    }

    [Fact]
    public async Task RepeatedRemovalEvent_SendsTheNextRemovalAgain()
    {
        await Publish(new ServiceInstanceDeprovisioningRequested(InstanceId, OperationId, Now));
        await Publish(new DatabaseDeprovisioned(InstanceId, OperationId, Now));
        Assert.True(await Sent<DeprovisionServer>());
        await Publish(new DatabaseDeprovisioned(InstanceId, OperationId, Now));
        await WaitUntilPublished<DeprovisionServer>(2);
        Assert.NotNull(await Saga.Exists(OperationId, m => m.RemovingServer));
    }

    [Fact]
    public async Task EventForAnUnknownOperation_IsDropped()
    {
        await Publish(new StorageProvisioned(InstanceId, OperationId, "/d", 1024, Now));
        // Consumed (by the saga's endpoint, which found no saga) before anything is checked: nothing was left to come.
        await Eventually.True(() => Harness.Consumed.Select<StorageProvisioned>().Any(x => x.Context.Message.OperationId == OperationId),
            "the event reached the saga's endpoint");
        Assert.Empty(PublishedOf<ProvisionServer>());
        Assert.Null(await Saga.Exists(OperationId));
    }

    [Fact]
    public async Task TimedOutBeforeTheRequestCreatedTheSaga_FaultsSoItIsRetriedNotDropped()
    {
        await Publish(new ServiceInstanceOperationTimedOut(InstanceId, OperationId, Now));
        // Polled rather than Published.Any, whose inactivity window can close first on a loaded machine.
        await Eventually.True(() => Harness.Published.Select<Fault<ServiceInstanceOperationTimedOut>>()
            .Any(x => x.Context.Message.Message.OperationId == OperationId), "the timeout for a missing saga faults");
    }

    [Fact]
    public async Task CancelledBeforeTheRequestCreatedTheSaga_FaultsSoItIsRetriedNotDropped()
    {
        await Publish(new ServiceInstanceProvisioningCancelled(InstanceId, OperationId, Now));
        await Eventually.True(() => Harness.Published.Select<Fault<ServiceInstanceProvisioningCancelled>>()
            .Any(x => x.Context.Message.Message.OperationId == OperationId), "the cancellation for a missing saga faults");
    }

    [Fact]
    public async Task Cancelled_WhileProvisioning_FinalizesTheSaga()
    {
        await Publish(new ServiceInstanceProvisioningRequested(InstanceId, OperationId, "s", "p", "o", "sp", null, null, 1024, Now));
        await WaitUntilPublished<ProvisionStorage>(1);

        await Publish(new ServiceInstanceProvisioningCancelled(InstanceId, OperationId, Now));

        await Eventually.True(async () => await Saga.Exists(OperationId, m => m.Final) is not null, "the cancelled provisioning's saga is finalized");
    }

    [Fact]
    public async Task ClusterProvisioning_HasNoDatabaseStep_CompletesOnceTheServerRuns()
    {
        await Publish(new ServiceInstanceProvisioningRequested(InstanceId, OperationId, "pg", "cluster-small", "o", "s", null, null, 1024, Now,
            Shape: InstanceShape.Cluster));
        await Publish(new StorageProvisioned(InstanceId, OperationId, "/d", 1024, Now));
        await Publish(new ServerProvisioned(InstanceId, OperationId, "127.0.0.1", 56001, Now));

        Assert.True(await Sent<CompleteOperation>());
        Assert.NotNull(await Saga.Exists(OperationId, m => m.Completing));
        Assert.Empty(PublishedOf<ProvisionDatabase>());
    }

    [Fact]
    public async Task ClusterRollback_StartsAtTheServer()
    {
        await Publish(new ServiceInstanceProvisioningRequested(InstanceId, OperationId, "pg", "cluster-small", "o", "s", null, null, 1024, Now,
            Shape: InstanceShape.Cluster));
        await Publish(new ResourceProvisioningFailed(InstanceId, OperationId, ResourceKind.Storage, "disk full", Now));

        Assert.True(await Sent<DeprovisionServer>());
        await Publish(new ServerDeprovisioned(InstanceId, OperationId, Now));
        await Publish(new StorageDeprovisioned(InstanceId, OperationId, Now));
        Assert.True(await Sent<FailOperation>(m => m.Reason.Contains("disk full")));
        Assert.Empty(PublishedOf<DeprovisionDatabase>());
    }

    [Fact]
    public async Task ClusterDatabase_ProvisionsOnlyItsDatabase_AndIsRemovedByItsDatabaseStepAlone()
    {
        await Publish(new ServiceInstanceProvisioningRequested(InstanceId, OperationId, "pg", "database", "o", "s", null, null, 0, Now,
            Shape: InstanceShape.ClusterDatabase, ClusterId: Guid.NewGuid()));
        Assert.True(await Sent<ProvisionDatabase>());
        Assert.NotNull(await Saga.Exists(OperationId, m => m.CreatingDatabase));
        await Publish(new ResourceProvisioningFailed(InstanceId, OperationId, ResourceKind.Database, "cluster down", Now));
        Assert.True(await Sent<DeprovisionDatabase>());
        await Publish(new DatabaseDeprovisioned(InstanceId, OperationId, Now));

        Assert.True(await Sent<FailOperation>(m => m.Reason.Contains("cluster down")));
        Assert.Empty(PublishedOf<ProvisionStorage>());
        Assert.Empty(PublishedOf<DeprovisionServer>());
    }

    [Fact]
    public async Task ClusterDatabase_Deprovisioning_CompletesAfterItsDatabase()
    {
        await Publish(new ServiceInstanceDeprovisioningRequested(InstanceId, OperationId, Now, Shape: InstanceShape.ClusterDatabase));
        Assert.True(await Sent<DeprovisionDatabase>());
        await Publish(new DatabaseDeprovisioned(InstanceId, OperationId, Now));

        Assert.True(await Sent<CompleteOperation>());
        Assert.Empty(PublishedOf<DeprovisionServer>());
    }

    // Polled rather than Published.Any, whose inactivity window can close first on a loaded machine.
    // Counted by the logging consumer: the harness's published list keeps one entry per message id, and a step sent again
    // on a redelivery is the same message.
    private Task WaitUntilPublished<T>(int count) where T : class =>
        Eventually.Until(() => Task.FromResult(Log.MessageIds<T>(OperationId).Length), published => published >= count, $"{count} {typeof(T).Name} published");

    private Task ConsumedBySaga<T>(int count) where T : class =>
        Eventually.Until(() => Task.FromResult(Saga.Consumed.Select<T>().Count(x => OperationOf(x.Context.Message) == OperationId)),
            consumed => consumed >= count, $"{count} {typeof(T).Name} consumed by the saga");

    /// <summary>What was published so far for this test's operation (no waiting: callers first wait for a positive signal).</summary>
    private List<T> PublishedOf<T>() where T : class =>
        Harness.Published.Select<T>().Select(x => x.Context.Message).Where(m => OperationOf(m) == OperationId).ToList();

    /// <summary>True once the saga published a matching <typeparamref name="T"/> for this operation; fails (with what it did publish) after a deadline.</summary>
    private async Task<bool> Sent<T>(Func<T, bool>? matches = null) where T : class
    {
        await Eventually.Until(() => Task.FromResult(PublishedOf<T>()), published => published.Any(m => matches?.Invoke(m) ?? true),
            $"{typeof(T).Name} published");
        return true;
    }

    private static Guid OperationOf(object message) => (Guid)message.GetType().GetProperty("OperationId")!.GetValue(message)!;
}
