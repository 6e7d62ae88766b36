namespace EventSourced.ServiceManager.Tests.Support;

/// <summary>The manager on a database of its own, without brokers: for what needs no broker (platforms, listing, labels).</summary>
public sealed class ManagerOnly : IAsyncLifetime
{
    private PostgresDatabase? _database;

    public ManagerHost Manager { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.Create("sm");
        Manager = new ManagerHost(_database);
    }

    public async Task DisposeAsync()
    {
        if (Manager is not null) await Manager.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }
}
