using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Saga;

namespace EventSourced.Provisioners.Sagas.Persistence;

/// <summary>What MassTransit's saga pipe calls while one message is consumed: every call runs in that message's transaction.</summary>
internal sealed class NpgsqlSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISagaVersion
    where TMessage : class
{
    private readonly NpgsqlSagaTransaction<TSaga> _transaction;
    private readonly ConsumeContext<TMessage> _consumeContext;
    private readonly ISagaConsumeContextFactory<NpgsqlSagaTransaction<TSaga>, TSaga> _factory;

    public NpgsqlSagaRepositoryContext(
        NpgsqlSagaTransaction<TSaga> transaction,
        ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<NpgsqlSagaTransaction<TSaga>, TSaga> factory)
        : base(consumeContext)
    {
        _transaction = transaction;
        _consumeContext = consumeContext;
        _factory = factory;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> context, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_transaction, context, instance, mode);

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        _factory.CreateSagaConsumeContext(_transaction, _consumeContext, instance, SagaConsumeContextMode.Add);

    public async Task<SagaConsumeContext<TSaga, TMessage>?> Insert(TSaga instance) =>
        await _transaction.InsertIfAbsent(instance, CancellationToken)
            ? await _factory.CreateSagaConsumeContext(_transaction, _consumeContext, instance, SagaConsumeContextMode.Insert)
            : null;

    public async Task<SagaConsumeContext<TSaga, TMessage>?> Load(Guid correlationId) =>
        await _transaction.Load(correlationId, forUpdate: true, CancellationToken) is { } instance
            ? await _factory.CreateSagaConsumeContext(_transaction, _consumeContext, instance, SagaConsumeContextMode.Load)
            : null;

    public Task Save(SagaConsumeContext<TSaga> context) => _transaction.Insert(context.Saga, CancellationToken);

    public Task Update(SagaConsumeContext<TSaga> context) => _transaction.Update(context.Saga, CancellationToken);

    public Task Delete(SagaConsumeContext<TSaga> context) => _transaction.Delete(context.Saga, CancellationToken);

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context) => Task.CompletedTask;
}

/// <summary>Reads a saga outside any message (ILoadSagaRepository): no row lock is taken.</summary>
internal sealed class NpgsqlLoadSagaRepositoryContext<TSaga>(NpgsqlSagaTransaction<TSaga> transaction, CancellationToken cancellationToken)
    : BasePipeContext(cancellationToken), LoadSagaRepositoryContext<TSaga>
    where TSaga : class, ISagaVersion
{
    // MassTransit's own load repositories return null for a missing saga, whatever the interface's annotation says.
    public async Task<TSaga> Load(Guid correlationId) =>
        (await transaction.Load(correlationId, forUpdate: false, CancellationToken))!;
}
