using Marten;
using MassTransit;
using MassTransit.Saga;

namespace EventSourced.Provisioners.Sagas.Persistence;

/// <summary>
/// MassTransit saga repository over Marten documents (see <see cref="SagaDocuments" />). Each message is consumed in one
/// lightweight session: load, run the saga's behavior, one <c>SaveChangesAsync</c>. Nothing is locked: a concurrent
/// change to the same saga fails the later commit with a concurrency exception, and the endpoint's
/// <c>UseMessageRetry</c> consumes the message again against the fresh state. With <c>UseInMemoryOutbox</c> on the
/// endpoint, what the saga publishes leaves after the commit, so a failed attempt publishes nothing.
/// </summary>
internal sealed class MartenSagaRepository<TSaga>(
    IDocumentStore store,
    ISagaConsumeContextFactory<IDocumentSession, TSaga> factory)
    : ISagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISagaVersion
{
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        await using var session = store.LightweightSession();
        await next.Send(new MartenSagaRepositoryContext<TSaga, T>(session, context, factory));
        // Once the behavior has run, the commit is not cancelled by a stopping consumer: a COMMIT cancelled in
        // flight has an unknown outcome, while a finished one at worst meets the message again (at-least-once).
        await session.SaveChangesAsync(CancellationToken.None);
    }

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        throw new NotSupportedException(
            $"The Marten saga repository for {typeof(TSaga).Name} finds sagas by CorrelationId only: correlate " +
            $"{typeof(T).Name} with CorrelateById, not with a query expression (CorrelateBy).");

    public async Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken)
        where T : class
    {
        await using var session = store.QuerySession();
        return await asyncMethod(new MartenLoadSagaRepositoryContext<TSaga>(session, cancellationToken));
    }

    public void Probe(ProbeContext context) => context.Add("persistence", "marten");
}
