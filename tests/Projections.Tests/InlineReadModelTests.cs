using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Tests.Support;
using EventSourced.TestSupport;

namespace EventSourced.Projections.Tests;

/// <summary>
/// Read-your-writes for OSB polling: the inline read models are written in the append's own transaction, so the poll
/// right after a 202 finds the operation with no daemon running anywhere.
/// </summary>
public sealed class InlineReadModelTests : IAsyncLifetime
{
    private PostgresDatabase db = null!;
    private BrokerNode node = null!;

    public async Task InitializeAsync()
    {
        db = await PostgresDatabase.Create();
        node = await BrokerNode.Start(db, daemon: false);
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await db.DisposeAsync();
    }

    [Fact]
    public async Task FindOperation_RightAfterProvisioningIsAccepted_SeesItInProgress()
    {
        var instanceId = Guid.NewGuid();

        var operationId = await node.Instances.RequestProvisioning(instanceId);
        var (exists, operation) = await node.LastOperations.FindOperation(instanceId, operationId);

        Assert.True(exists);
        Assert.Equal(new Operation(operationId, OperationKind.Provision, OperationState.InProgress, "Provisioning requested", BrokerCommands.T0),
            operation);
    }

    [Fact]
    public async Task FindOperation_AfterEachOutcome_SeesTheLatestState()
    {
        var instanceId = Guid.NewGuid();

        var operationId = await node.Instances.Provision(instanceId);

        var (_, operation) = await node.LastOperations.FindOperation(instanceId, null);
        Assert.Equal((operationId, OperationState.Succeeded, "Provisioned"), (operation!.Id, operation.State, operation.Description));
        Assert.Equal(InstanceStatus.Provisioned, (await node.LastOperations.Find(instanceId))!.Status);
    }

    [Fact]
    public async Task FindOperation_UnknownInstance_DoesNotExist()
    {
        Assert.Equal((false, null), await node.LastOperations.FindOperation(Guid.NewGuid(), null));
    }

    [Fact]
    public async Task BindingFind_RightAfterBindingIsAccepted_SeesItBeingCreated()
    {
        var (instanceId, bindingId) = (Guid.NewGuid(), Guid.NewGuid());
        await node.Instances.Provision(instanceId);

        var operationId = await node.Bindings.RequestBinding(instanceId, bindingId);
        var binding = await node.BindingOperations.Find(instanceId, bindingId);

        Assert.NotNull(binding);
        Assert.Equal((bindingId, BindingStatus.Creating, operationId, OperationState.InProgress),
            (binding.Id, binding.Status, binding.LastOperation.Id, binding.LastOperation.State));
        Assert.Null(await node.BindingOperations.Find(Guid.NewGuid(), bindingId));
    }
}
