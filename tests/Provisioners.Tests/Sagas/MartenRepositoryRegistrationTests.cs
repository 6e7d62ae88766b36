using EventSourced.Provisioners.Sagas.Persistence;
using EventSourced.Provisioners.Tests.Sagas.Orders;
using EventSourced.TestSupport;
using Marten;
using Marten.Schema;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Tests.Sagas;

public sealed class MartenRepositoryRegistrationTests
{
    [Fact]
    public async Task MartenRepository_MapsTheSagaDocument_InAStoreAddedWithAddMarten()
    {
        await using var database = await PostgresDatabase.Create();
        var services = new ServiceCollection();
        services.AddMarten(database.ConnectionString);
        services.AddMassTransit(x => x.AddSagaStateMachine<OrderStateMachine, OrderState>().MartenRepository());
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IDocumentStore>();
        var mapping = Assert.IsAssignableFrom<DocumentMapping>(store.Options.FindOrResolveDocumentType(typeof(OrderState)));

        Assert.Equal(nameof(OrderState.CorrelationId), mapping.IdMember.Name);
        Assert.True(mapping.UseNumericRevisions);
        Assert.Equal(nameof(OrderState.Version), mapping.Metadata.Revision.Member?.Name);
    }
}
