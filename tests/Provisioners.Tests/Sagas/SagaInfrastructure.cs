using EventSourced.Provisioners.Sagas.Persistence;
using EventSourced.Provisioners.Tests.Sagas.Orders;
using EventSourced.Provisioners.Tests.Sagas.Tickets;
using EventSourced.TestSupport;
using JasperFx;
using Marten;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>A fresh database and RabbitMQ virtual host for one test class; each test starts its own hosts on them.</summary>
public sealed class SagaInfrastructure : IAsyncLifetime
{
    public PostgresDatabase Database { get; private set; } = null!;
    public RabbitMqVirtualHost VirtualHost { get; private set; } = null!;

    /// <summary>A document store as a host would build one for the test sagas.</summary>
    public static DocumentStore CreateStore(string connectionString) => DocumentStore.For(opts =>
    {
        opts.Connection(connectionString);
        opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        SagaDocuments.Register<OrderState>(opts);
        SagaDocuments.Register<TicketState>(opts);
    });

    public async Task InitializeAsync()
    {
        Database = await PostgresDatabase.Create();
        VirtualHost = await RabbitMqVirtualHost.Create();
        // Marten creates the tables on first use; creating them here lets tests poll before the first message lands.
        using var store = CreateStore(Database.ConnectionString);
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
