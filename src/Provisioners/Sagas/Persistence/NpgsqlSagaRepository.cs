using MassTransit;
using MassTransit.Saga;
using Npgsql;

namespace EventSourced.Provisioners.Sagas.Persistence;

/// <summary>
/// MassTransit saga repository over one PostgreSQL table per saga type (row: correlation id, state, JSON data,
/// version). Each message is consumed inside one transaction that loads the saga <c>FOR UPDATE</c> and commits
/// after the saga's behavior ran, so messages to one saga are applied one at a time. With
/// <c>UseInMemoryOutbox</c> on the endpoint, what the saga publishes leaves after that commit.
/// </summary>
internal sealed class NpgsqlSagaRepository<TSaga>(
    NpgsqlDataSource dataSource,
    SagaTable tables,
    NpgsqlSagaRepositoryOptions<TSaga> options,
    ISagaConsumeContextFactory<NpgsqlSagaTransaction<TSaga>, TSaga> factory)
    : ISagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISagaVersion
{
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        await using var transaction = await NpgsqlSagaTransaction<TSaga>.Begin(dataSource, tables, options, context.CancellationToken);
        await next.Send(new NpgsqlSagaRepositoryContext<TSaga, T>(transaction, context, factory));
        // Once the behavior has run, the commit is not cancelled by a stopping consumer: a COMMIT cancelled in
        // flight has an unknown outcome, while a finished one at worst meets the message again (at-least-once).
        await transaction.Commit(CancellationToken.None);
    }

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        throw new NotSupportedException(
            $"The Npgsql saga repository for {typeof(TSaga).Name} finds sagas by CorrelationId only: correlate " +
            $"{typeof(T).Name} with CorrelateById, not with a query expression (CorrelateBy).");

    public async Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken)
        where T : class
    {
        await using var transaction = await NpgsqlSagaTransaction<TSaga>.Begin(dataSource, tables, options, cancellationToken);
        var result = await asyncMethod(new NpgsqlLoadSagaRepositoryContext<TSaga>(transaction, cancellationToken));
        await transaction.Commit(cancellationToken);
        return result;
    }

    public void Probe(ProbeContext context)
    {
        context.Add("persistence", "npgsql");
        context.Add("table", options.Table);
    }
}
