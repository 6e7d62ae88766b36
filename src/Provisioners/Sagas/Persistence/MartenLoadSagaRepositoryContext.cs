using Marten;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Saga;

namespace EventSourced.Provisioners.Sagas.Persistence;

/// <summary>Reads a saga outside any message (ILoadSagaRepository), in a read-only query session.</summary>
internal sealed class MartenLoadSagaRepositoryContext<TSaga>(IQuerySession session, CancellationToken cancellationToken)
    : BasePipeContext(cancellationToken), LoadSagaRepositoryContext<TSaga>
    where TSaga : class, ISagaVersion
{
    // MassTransit's own load repositories return null for a missing saga, whatever the interface's annotation says.
    public async Task<TSaga> Load(Guid correlationId) =>
        (await session.LoadAsync<TSaga>(correlationId, CancellationToken))!;
}
