using EventSourced.Provisioners.Sagas;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>
/// The operation saga on MassTransit's in-memory test harness, for one operation of one instance; step commands are also
/// counted by <see cref="StepCommandLogger"/> (the harness's published list keeps one entry per message id).
/// </summary>
public abstract class OperationSagaSpec : IAsyncLifetime
{
    protected static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    protected readonly Guid InstanceId = Guid.NewGuid();
    protected readonly Guid OperationId = Guid.NewGuid();
    protected readonly StepCommandLog Log = new();
    private ServiceProvider _provider = null!;
    protected ITestHarness Harness { get; private set; } = null!;
    protected ISagaStateMachineTestHarness<InstanceOperationStateMachine, InstanceOperationState> Saga { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _provider = new ServiceCollection()
            .AddSingleton(Log)
            .AddMassTransitTestHarness(x =>
            {
                x.AddSagaStateMachine<InstanceOperationStateMachine, InstanceOperationState>();
                x.AddConsumer<StepCommandLogger>();
            })
            .BuildServiceProvider(true);
        Harness = _provider.GetRequiredService<ITestHarness>();
        await Harness.Start();
        Saga = Harness.GetSagaStateMachineHarness<InstanceOperationStateMachine, InstanceOperationState>();
    }

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    protected Task Publish<T>(T message) where T : class => Harness.Bus.Publish(message);
}
