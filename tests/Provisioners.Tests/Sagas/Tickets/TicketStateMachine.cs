using MassTransit;

namespace EventSourced.Provisioners.Tests.Sagas.Tickets;

public sealed record TicketOpened(Guid TicketId);

public sealed class TicketState : SagaStateMachineInstance, ISagaVersion
{
    public Guid CorrelationId { get; set; }
    public int Version { get; set; }
    public string CurrentState { get; set; } = "";
}

/// <summary>Uses MassTransit's pre-insert path (InsertOnInitial) instead of add-then-save.</summary>
public sealed class TicketStateMachine : MassTransitStateMachine<TicketState>
{
    public TicketStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => TicketOpened, x =>
        {
            x.CorrelateById(m => m.Message.TicketId);
            x.InsertOnInitial = true;
            x.SetSagaFactory(m => new TicketState { CorrelationId = m.Message.TicketId });
        });

        Initially(When(TicketOpened).TransitionTo(Open));
        During(Open, Ignore(TicketOpened));
    }

    public State Open { get; private set; } = null!;

    public Event<TicketOpened> TicketOpened { get; private set; } = null!;
}

public sealed class TicketStateDefinition : SagaDefinition<TicketState>
{
    public TicketStateDefinition() => ConcurrentMessageLimit = 20;

    protected override void ConfigureSaga(
        IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<TicketState> sagaConfigurator, IRegistrationContext context)
    {
        // Optimistic concurrency: a commit fails only when another message's commit to the same saga won, so with the
        // tests' 20 concurrent messages to one saga a message fails at most 19 times.
        endpointConfigurator.UseMessageRetry(r => r.Immediate(20));
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
