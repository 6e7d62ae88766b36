using EventSourced.Provisioners.Sagas.Persistence;
using EventSourced.TestSupport;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>A fresh database and RabbitMQ virtual host for one test class; each test starts its own hosts on them.</summary>
public sealed class SagaInfrastructure : IAsyncLifetime
{
    public PostgresDatabase Database { get; private set; } = null!;
    public RabbitMqVirtualHost VirtualHost { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await PostgresDatabase.Create();
        VirtualHost = await RabbitMqVirtualHost.Create();
        // The repository creates its table on first use; creating it here lets tests poll before the first message lands.
        var tables = new SagaTable(Database.DataSource);
        await tables.EnsureCreated(SagaRows.OrderTable);
        await tables.EnsureCreated(SagaRows.TicketTable);
    }

    public async Task DisposeAsync()
    {
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
