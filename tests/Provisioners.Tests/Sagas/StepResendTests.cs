using EventSourced.TestSupport;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Messages;
using EventSourced.Provisioners.Sagas;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>
/// Which message a step's command is: the same one when the saga sends it again on a redelivery (the sub-provisioners'
/// inbox recognises it), a new attempt when the watchdog nudges a stalled operation; and an operation ended by the
/// watchdog ends its saga in any state.
/// </summary>
public sealed class StepResendTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly Guid _instance = Guid.NewGuid();
    private readonly Guid _operation = Guid.NewGuid();
    private readonly StepCommandLog _log = new();
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;
    private ISagaStateMachineTestHarness<InstanceOperationStateMachine, InstanceOperationState> _saga = null!;

    public async Task InitializeAsync()
    {
        _provider = new ServiceCollection()
            .AddSingleton(_log)
            .AddMassTransitTestHarness(x =>
            {
                x.AddSagaStateMachine<InstanceOperationStateMachine, InstanceOperationState>();
                x.AddConsumer<StepCommandLogger>();
            })
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
        _saga = _harness.GetSagaStateMachineHarness<InstanceOperationStateMachine, InstanceOperationState>();
    }

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    [Fact]
    public async Task RedeliveredEvent_SendsTheSameStepMessage()
    {
        await Publish(Requested());
        await Publish(Requested());

        var sent = await Published<ProvisionStorage>(2);
        Assert.Equal(StepMessageId.Of(_operation, nameof(ProvisionStorage), 0), sent[0]);
        Assert.Equal(sent[0], sent[1]);
    }

    [Fact]
    public async Task Nudge_SendsTheStepItWaitsOnAgain_AsANewAttempt()
    {
        await Publish(Requested());
        await Publish(new StorageProvisioned(_instance, _operation, "/d", 1024, Now));
        await Published<ProvisionServer>(1);

        await Publish(new NudgeOperation(_operation));
        await Publish(new NudgeOperation(_operation));

        var sent = await Published<ProvisionServer>(3);
        Assert.Equal(3, sent.Distinct().Count());
        Assert.Equal(StepMessageId.Of(_operation, nameof(ProvisionServer), 2), sent[2]);
        Assert.NotNull(await _saga.Exists(_operation, m => m.CreatingServer));
    }

    [Fact]
    public async Task Nudge_DuringRollback_SendsTheRemovalItWaitsOn()
    {
        await Publish(Requested());
        await Publish(new ResourceProvisioningFailed(_instance, _operation, ResourceKind.Storage, "disk full", Now));
        await Published<DeprovisionDatabase>(1);

        await Publish(new NudgeOperation(_operation));

        await Published<DeprovisionDatabase>(2);
    }

    [Fact]
    public async Task FailureRecordedByTheWatchdog_MidRollback_FinalizesTheSaga()
    {
        await Publish(Requested());
        await Publish(new ResourceProvisioningFailed(_instance, _operation, ResourceKind.Storage, "disk full", Now));
        await Publish(new DatabaseDeprovisioned(_instance, _operation, Now));
        await Published<DeprovisionServer>(1);

        await Publish(new ServiceInstanceProvisioningFailed(_instance, _operation, "rollback did not finish", Now));

        await Eventually.Until(() => _saga.Exists(_operation, m => m.Final), id => id is not null, "the saga finalized");
    }

    private ServiceInstanceProvisioningRequested Requested() =>
        new(_instance, _operation, "pg", "small", "o", "s", null, null, 1024, Now);

    private Task Publish<T>(T message) where T : class => _harness.Bus.Publish(message);

    private Task<Guid[]> Published<T>(int count) where T : class =>
        Eventually.Until(() => Task.FromResult(_log.MessageIds<T>(_operation)), ids => ids.Length >= count, $"{count} {typeof(T).Name}");
}
