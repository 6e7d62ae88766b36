using Marten;
using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Saga;

namespace EventSourced.Provisioners.Sagas.Persistence;

/// <summary>What MassTransit's saga pipe calls while one message is consumed: every write is staged in that message's session.</summary>
internal sealed class MartenSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISagaVersion
    where TMessage : class
{
    private readonly IDocumentSession _session;
    private readonly ConsumeContext<TMessage> _consumeContext;
    private readonly ISagaConsumeContextFactory<IDocumentSession, TSaga> _factory;
    private TSaga? _inserted;

    public MartenSagaRepositoryContext(
        IDocumentSession session,
        ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<IDocumentSession, TSaga> factory)
        : base(consumeContext)
    {
        _session = session;
        _consumeContext = consumeContext;
        _factory = factory;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> context, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_session, context, instance, mode);

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        _factory.CreateSagaConsumeContext(_session, _consumeContext, instance, SagaConsumeContextMode.Add);

    /// <summary>
    /// The pre-insert path (InsertOnInitial): null when the saga exists, so MassTransit loads it instead. The insert is
    /// staged, not committed, so it commits with the behavior's outcome; a racing insert of the same id fails one of
    /// the two commits, and the retry of that message finds the saga here.
    /// </summary>
    public async Task<SagaConsumeContext<TSaga, TMessage>?> Insert(TSaga instance)
    {
        if (await _session.LoadAsync<TSaga>(instance.CorrelationId, CancellationToken) is not null) return null;
        SagaDocuments.StageInsert(_session, instance);
        _inserted = instance;
        return await _factory.CreateSagaConsumeContext(_session, _consumeContext, instance, SagaConsumeContextMode.Insert);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>?> Load(Guid correlationId) =>
        await _session.LoadAsync<TSaga>(correlationId, CancellationToken) is { } instance
            ? await _factory.CreateSagaConsumeContext(_session, _consumeContext, instance, SagaConsumeContextMode.Load)
            : null;

    public Task Save(SagaConsumeContext<TSaga> context)
    {
        SagaDocuments.StageInsert(_session, context.Saga);
        return Task.CompletedTask;
    }

    public Task Update(SagaConsumeContext<TSaga> context)
    {
        // A saga inserted by this message is written as it is at the commit: its staged insert is the update.
        if (!ReferenceEquals(context.Saga, _inserted)) SagaDocuments.StageUpdate(_session, context.Saga);
        return Task.CompletedTask;
    }

    public Task Delete(SagaConsumeContext<TSaga> context)
    {
        // A saga inserted and finalized by this message never needs to reach the database.
        if (ReferenceEquals(context.Saga, _inserted)) _session.EjectAllPendingChanges();
        else SagaDocuments.StageDelete(_session, context.Saga);
        return Task.CompletedTask;
    }

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context) => Task.CompletedTask;
}
