using Marten;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;

namespace EventSourced.Provisioners.Sagas.Persistence;

public static class MartenSagaRepositoryRegistrationExtensions
{
    /// <summary>
    /// Stores the saga as Marten documents (see <see cref="SagaDocuments" />) in the <see cref="IDocumentStore" />
    /// registered in the container. Also maps the document type for a store added with <c>AddMarten</c>; a store built
    /// by hand needs <see cref="SagaDocuments.Register{TSaga}" /> in its options. Events must correlate by id.
    /// </summary>
    public static ISagaRegistrationConfigurator<TSaga> MartenRepository<TSaga>(this ISagaRegistrationConfigurator<TSaga> configurator)
        where TSaga : class, ISagaVersion =>
        configurator.Repository(repository =>
        {
            repository.ConfigureMarten(SagaDocuments.Register<TSaga>);
            repository.RegisterLoadSagaRepository<TSaga, MartenSagaRepository<TSaga>>();
            repository.RegisterSagaRepository<TSaga, IDocumentSession,
                SagaConsumeContextFactory<IDocumentSession, TSaga>, MartenSagaRepository<TSaga>>();
        });
}
