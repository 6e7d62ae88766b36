using MassTransit;

namespace EventSourced.Provisioners.Tests.Sagas.Orders;

public sealed class OrderState : SagaStateMachineInstance, ISagaVersion
{
    public Guid CorrelationId { get; set; }
    public int Version { get; set; }
    public string CurrentState { get; set; } = "";
    public string? OrderNumber { get; set; }
    public DateTimeOffset? AcceptBy { get; set; }
    public int LineCount { get; set; }
}

public sealed class OrderStateMachine : MassTransitStateMachine<OrderState>
{
    public OrderStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => OrderSubmitted, x => x.CorrelateById(m => m.Message.OrderId));
        Event(() => OrderLineAdded, x => x.CorrelateById(m => m.Message.OrderId));
        Event(() => OrderAccepted, x => x.CorrelateById(m => m.Message.OrderId));
        Event(() => OrderCompleted, x => x.CorrelateById(m => m.Message.OrderId));

        Initially(
            When(OrderSubmitted)
                .Then(x =>
                {
                    x.Saga.OrderNumber = x.Message.OrderNumber;
                    x.Saga.AcceptBy = x.Message.AcceptBy;
                })
                .TransitionTo(Submitted));

        During(Submitted,
            Ignore(OrderSubmitted),
            When(OrderLineAdded)
                .Then(x => x.Saga.LineCount++),
            When(OrderAccepted)
                .Then(x => x.Saga.AcceptBy = null)
                .Publish(x => new OrderAcceptanceAnnounced(x.Saga.CorrelationId))
                .TransitionTo(Accepted)
                // Delays the commit after the publish, so an announcement sent before the commit would
                // certainly be consumed while the stored saga still says Submitted.
                .ThenAsync(_ => Task.Delay(TimeSpan.FromMilliseconds(300))));

        During(Accepted,
            When(OrderCompleted)
                .Finalize());

        SetCompletedWhenFinalized();
    }

    public State Submitted { get; private set; } = null!;
    public State Accepted { get; private set; } = null!;

    public Event<OrderSubmitted> OrderSubmitted { get; private set; } = null!;
    public Event<OrderLineAdded> OrderLineAdded { get; private set; } = null!;
    public Event<OrderAccepted> OrderAccepted { get; private set; } = null!;
    public Event<OrderCompleted> OrderCompleted { get; private set; } = null!;
}

public sealed class OrderStateDefinition : SagaDefinition<OrderState>
{
    public OrderStateDefinition() => ConcurrentMessageLimit = 20;

    protected override void ConfigureSaga(
        IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<OrderState> sagaConfigurator, IRegistrationContext context)
    {
        // Optimistic concurrency: a commit fails only when another message's commit to the same saga won, so with the
        // tests' 20 concurrent messages to one saga a message fails at most 19 times.
        endpointConfigurator.UseMessageRetry(r => r.Immediate(20));
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
