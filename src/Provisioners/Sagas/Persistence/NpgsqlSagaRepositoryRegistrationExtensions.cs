using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EventSourced.Provisioners.Sagas.Persistence;

public static class NpgsqlSagaRepositoryRegistrationExtensions
{
    /// <summary>
    /// Stores the saga in <paramref name="table" /> (created on first use) of the database of the
    /// <see cref="Npgsql.NpgsqlDataSource" /> registered in the container. Events must correlate by id.
    /// </summary>
    /// <param name="stateProperty">The instance-state property, copied to the <c>current_state</c> column.</param>
    public static ISagaRegistrationConfigurator<TSaga> NpgsqlRepository<TSaga>(
        this ISagaRegistrationConfigurator<TSaga> configurator, string table, string stateProperty = "CurrentState")
        where TSaga : class, ISagaVersion
    {
        SagaTable.EnsureValidName(table);
        return configurator.Repository(repository =>
        {
            repository.TryAddSingleton<SagaTable>();
            repository.AddSingleton(new NpgsqlSagaRepositoryOptions<TSaga>(table, stateProperty));
            repository.RegisterLoadSagaRepository<TSaga, NpgsqlSagaRepository<TSaga>>();
            repository.RegisterSagaRepository<TSaga, NpgsqlSagaTransaction<TSaga>,
                SagaConsumeContextFactory<NpgsqlSagaTransaction<TSaga>, TSaga>, NpgsqlSagaRepository<TSaga>>();
        });
    }
}
