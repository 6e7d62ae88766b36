using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;

namespace EventSourced.Projections.Tests;

/// <summary>Given recorded events handed to the directory in batches, then its rows: a batch is folded per instance.</summary>
public sealed class InstanceDirectoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Guid Operation = Guid.NewGuid();

    [Fact]
    public async Task Handle_ProvisionedThenDeprovisionedInOneBatch_LeavesNoRowAndWritesTheOthers()
    {
        var (gone, kept) = (Guid.NewGuid(), Guid.NewGuid());
        await using var directory = await DirectoryDatabase.Create();

        await directory.Handle([.. Provisioning(gone, second: 0), .. Provisioning(kept, second: 5), .. Deprovisioning(gone, second: 10)]);

        Assert.Null(await directory.Projection.Find(gone));
        Assert.Equal(Provisioned(kept, createdSecond: 5, updatedSecond: 9), Assert.Single(await directory.Projection.List()));
    }

    [Fact]
    public async Task Handle_OneInstanceAcrossTwoBatches_FoldsTheSecondOntoTheStoredRow()
    {
        var id = Guid.NewGuid();
        await using var directory = await DirectoryDatabase.Create();
        var events = Provisioning(id, second: 0);

        await directory.Handle(events[..2]);
        var halfway = await directory.Projection.Find(id);
        await directory.Handle(events[2..]);

        Assert.Equal(Provisioned(id, 0, 1) with { Status = nameof(InstanceStatus.Provisioning), Host = null, Port = null, Database = null }, halfway);
        Assert.Equal(Provisioned(id, createdSecond: 0, updatedSecond: 4), await directory.Projection.Find(id));
    }

    [Fact]
    public async Task Handle_EventsForAnInstanceWithoutRow_WriteNothing()
    {
        var id = Guid.NewGuid();
        await using var directory = await DirectoryDatabase.Create();

        await directory.Handle([.. Provisioning(id, second: 0)[1..], .. Deprovisioning(id, second: 5)]);

        Assert.Empty(await directory.Projection.List());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task Handle_AnyBatchSize_GivesTheRowsOfTheWholeHistoryInOneBatch(int batchSize)
    {
        var (reprovisioned, failed, deprovisioning) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        RecordedEvent[] history =
        [
            .. Provisioning(reprovisioned, second: 0), .. Provisioning(failed, second: 1)[..2],
            Recorded(new ServiceInstanceProvisioningFailed(failed, Operation, "no disk", T0), second: 3),
            .. Deprovisioning(reprovisioned, second: 10), .. Provisioning(deprovisioning, second: 12),
            .. Provisioning(reprovisioned, second: 20)[..3],
            .. Deprovisioning(deprovisioning, second: 30)[..2],
            Recorded(new ServiceInstanceDeprovisioningFailed(deprovisioning, Operation, "busy", T0), second: 33),
        ];
        await using var whole = await DirectoryDatabase.Create();
        await using var batched = await DirectoryDatabase.Create();

        await whole.Handle(history);
        foreach (var batch in history.Chunk(batchSize)) await batched.Handle(batch);

        Assert.Equal(3, (await whole.Projection.List()).Count);
        Assert.Equal(await whole.Projection.List(), await batched.Projection.List());
    }

    private static InstanceSummary Provisioned(Guid id, int createdSecond, int updatedSecond) => new(
        id, "service", "plan", "org", "space", nameof(InstanceStatus.Provisioned), 1024, $"/data/{id}", "127.0.0.1", 20001, "db",
        T0.AddSeconds(createdSecond), T0.AddSeconds(updatedSecond));

    private static RecordedEvent[] Provisioning(Guid id, int second) =>
    [
        Recorded(new ServiceInstanceProvisioningRequested(id, Operation, "service", "plan", "org", "space", null, null, 1024, T0), second),
        Recorded(new StorageProvisioned(id, Operation, $"/data/{id}", 1024, T0), second + 1),
        Recorded(new ServerProvisioned(id, Operation, "127.0.0.1", 20001, T0), second + 2),
        Recorded(new DatabaseProvisioned(id, Operation, "db", "admin", "encrypted", T0), second + 3),
        Recorded(new ServiceInstanceProvisioned(id, Operation, T0), second + 4),
    ];

    private static RecordedEvent[] Deprovisioning(Guid id, int second) =>
    [
        Recorded(new ServiceInstanceDeprovisioningRequested(id, Operation, T0), second),
        Recorded(new DatabaseDeprovisioned(id, Operation, T0), second + 1),
        Recorded(new ServerDeprovisioned(id, Operation, T0), second + 2),
        Recorded(new StorageDeprovisioned(id, Operation, T0), second + 3),
        Recorded(new ServiceInstanceDeprovisioned(id, Operation, T0), second + 4),
    ];

    /// <summary>The directory takes its timestamps from when the event was recorded, not from the payload.</summary>
    private static RecordedEvent Recorded(IDomainEvent data, int second) => new(
        Guid.NewGuid(), second, 1, "service-instance", second, data.GetType().Name, data, new EventMetadata(Guid.NewGuid()), T0.AddSeconds(second));

    /// <summary>An instance directory on its own database, handed batches the way the subscription runner does.</summary>
    private sealed class DirectoryDatabase : IAsyncDisposable
    {
        private readonly ProjectionDatabase db;

        private DirectoryDatabase(ProjectionDatabase db) => (this.db, Projection) = (db, new InstanceDirectory(db.DataSource));

        public InstanceDirectory Projection { get; }

        public static async Task<DirectoryDatabase> Create()
        {
            var db = await ProjectionDatabase.Create();
            var directory = new DirectoryDatabase(db);
            await Subscriptions.ProjectionSchema.Create(db.DataSource, directory.Projection, CancellationToken.None);
            return directory;
        }

        public async Task Handle(IReadOnlyList<RecordedEvent> batch)
        {
            await using var connection = await db.DataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await Projection.Handle(batch, connection, transaction, CancellationToken.None);
            await transaction.CommitAsync();
        }

        public ValueTask DisposeAsync() => db.DisposeAsync();
    }
}
