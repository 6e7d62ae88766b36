using EventSourced.TestSupport;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Messages;
using EventSourced.Provisioners.Sagas;
using MassTransit;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>
/// Which message a step's command is: the same one when the saga sends it again on a redelivery (the sub-provisioners'
/// inbox recognises it), a new attempt when the watchdog nudges a stalled operation; and an operation ended by the
/// watchdog ends its saga in any state.
/// </summary>
public sealed class StepResendTests : OperationSagaSpec
{

    [Fact]
    public async Task RedeliveredEvent_SendsTheSameStepMessage()
    {
        await Publish(Requested());
        await Publish(Requested());

        var sent = await Published<ProvisionStorage>(2);
        Assert.Equal(StepMessageId.Of(OperationId, nameof(ProvisionStorage), 0), sent[0]);
        Assert.Equal(sent[0], sent[1]);
    }

    [Fact]
    public async Task Nudge_SendsTheStepItWaitsOnAgain_AsANewAttempt()
    {
        await Publish(Requested());
        await Publish(new StorageProvisioned(InstanceId, OperationId, "/d", 1024, Now));
        await Published<ProvisionServer>(1);

        await Publish(new NudgeOperation(OperationId));
        await Publish(new NudgeOperation(OperationId));

        var sent = await Published<ProvisionServer>(3);
        Assert.Equal(3, sent.Distinct().Count());
        Assert.Equal(StepMessageId.Of(OperationId, nameof(ProvisionServer), 2), sent[2]);
        Assert.NotNull(await Saga.Exists(OperationId, m => m.CreatingServer));
    }

    [Fact]
    public async Task Nudge_DuringRollback_SendsTheRemovalItWaitsOn()
    {
        await Publish(Requested());
        await Publish(new ResourceProvisioningFailed(InstanceId, OperationId, ResourceKind.Storage, "disk full", Now));
        await Published<DeprovisionDatabase>(1);

        await Publish(new NudgeOperation(OperationId));

        await Published<DeprovisionDatabase>(2);
    }

    [Fact]
    public async Task FailureRecordedByTheWatchdog_MidRollback_FinalizesTheSaga()
    {
        await Publish(Requested());
        await Publish(new ResourceProvisioningFailed(InstanceId, OperationId, ResourceKind.Storage, "disk full", Now));
        await Publish(new DatabaseDeprovisioned(InstanceId, OperationId, Now));
        await Published<DeprovisionServer>(1);

        await Publish(new ServiceInstanceProvisioningFailed(InstanceId, OperationId, "rollback did not finish", Now));

        await Eventually.Until(() => Saga.Exists(OperationId, m => m.Final), id => id is not null, "the saga finalized");
    }

    private ServiceInstanceProvisioningRequested Requested() =>
        new(InstanceId, OperationId, "pg", "small", "o", "s", null, null, 1024, Now);

    private Task<Guid[]> Published<T>(int count) where T : class =>
        Eventually.Until(() => Task.FromResult(Log.MessageIds<T>(OperationId)), ids => ids.Length >= count, $"{count} {typeof(T).Name}");
}
