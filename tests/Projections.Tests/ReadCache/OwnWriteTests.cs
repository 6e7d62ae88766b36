using EventSourced.Projections.ReadCache;
using EventSourced.Projections.Tests.Support;
using EventSourced.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Projections.Tests.ReadCache;

/// <summary>A node's own appends fill its read cache once committed: the poll that follows needs no database read.</summary>
public sealed class OwnWriteTests : IAsyncLifetime
{
    private PostgresDatabase db = null!;
    private BrokerNode node = null!;

    public async Task InitializeAsync()
    {
        db = await PostgresDatabase.Create();
        node = await BrokerNode.Start(db, daemon: false, readCache: true);
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await db.DisposeAsync();
    }

    [Fact]
    public async Task CommittedAppend_PutsItsRowIntoTheCache()
    {
        var cache = node.Services.GetRequiredService<LastOperationCache>();
        await Eventually.True(() => cache.Listening, "the change listener is connected");
        var instanceId = Guid.NewGuid();

        var operationId = await node.Instances.RequestProvisioning(instanceId);

        var cached = await cache.Find(instanceId);
        Assert.NotNull(cached);
        Assert.Equal(operationId, cached.Latest?.Id);
    }
}
