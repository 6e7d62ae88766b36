using System.Collections.Concurrent;
using EventSourced.Projections.Rebuild;
using EventSourced.Projections.ServiceBindings;
using EventSourced.Projections.Tests.Support;
using EventSourced.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EventSourced.Projections.Tests;

/// <summary>
/// StreamViewRebuilder recomputes every row in place from the log while the broker serves: no row is ever removed on the
/// way (OSB polls keep finding their instance), and afterwards every row is the fold of its stream.
/// </summary>
public sealed class RebuildTests(ITestOutputHelper output) : IAsyncLifetime
{
    private PostgresDatabase db = null!;
    private BrokerNode node = null!;

    private StreamViewRebuilder Rebuilder => node.Services.GetRequiredService<StreamViewRebuilder>();

    public async Task InitializeAsync()
    {
        db = await PostgresDatabase.Create();
        node = await BrokerNode.Start(db, daemon: true);
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await db.DisposeAsync();
    }

    [Fact]
    public async Task RebuildAll_RowsCorruptedDeletedOrAheadOfTheirStream_AreTheFoldOfTheirStreamsAgainAndProgressReachesTheTotal()
    {
        var instances = await ProvisionMany(count: 100, completed: 100);
        var (instance, bindings) = (instances[0], new[] { Guid.NewGuid(), Guid.NewGuid() });
        foreach (var binding in bindings) await node.Bindings.RequestBinding(instance, binding);
        await node.CaughtUp();
        await ReadModelRows.Execute(db.DataSource, instances[..10],
            "UPDATE broker.last_operations SET version = 0, status = 'Corrupt', instance = '{}' WHERE instance_id = ANY($1)",
            "UPDATE broker.instance_directory SET version = 0, status = 'Corrupt' WHERE instance_id = ANY($1)");
        await ReadModelRows.Execute(db.DataSource, instances[20..25],
            "UPDATE broker.last_operations SET version = 999, status = 'FromTheFuture', instance = '{}' WHERE instance_id = ANY($1)",
            "UPDATE broker.instance_directory SET version = 999, status = 'FromTheFuture' WHERE instance_id = ANY($1)");
        await ReadModelRows.Execute(db.DataSource, instances[10..20],
            "DELETE FROM broker.last_operations WHERE instance_id = ANY($1)",
            "DELETE FROM broker.instance_directory WHERE instance_id = ANY($1)",
            "DELETE FROM broker.binding_operations WHERE instance_id <> ALL($1)");
        Assert.Equal(25, (await ReadModelRows.NotAsFolded(node, db.DataSource, instances)).Count);
        var progress = new RecordedProgress();

        await Rebuilder.Rebuild(StreamViewRebuilder.All, progress, CancellationToken.None);

        Assert.Empty(await ReadModelRows.NotAsFolded(node, db.DataSource, instances));
        foreach (var binding in bindings) Assert.Equal(await node.Bindings.Load(binding), await node.BindingOperations.Find(instance, binding), BindingJson.Comparer);
        AssertReachesTotal(progress.Of(StreamViewRebuilder.All), total: 502);
    }

    [Fact]
    public async Task RebuildAll_WhileWritersAppendAndPollsRead_EveryPollFindsItsRowAndRowsEndAsFolded()
    {
        var known = new ConcurrentQueue<Guid>(await ProvisionMany(count: 1100, completed: 100));
        await node.CaughtUp(60);
        await ReadModelRows.Execute(db.DataSource, known.Take(50),
            "UPDATE broker.last_operations SET version = 0, status = 'Corrupt', instance = '{}' WHERE instance_id = ANY($1)");
        Assert.Equal(known.Take(50), await ReadModelRows.NotAsFolded(node, db.DataSource, known.Take(50)));
        using var stop = new CancellationTokenSource();
        var (reads, misses, appended) = (0L, new ConcurrentBag<Guid>(), 0);

        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var id = Guid.NewGuid();
                var operation = await node.Instances.RequestProvisioning(id);
                known.Enqueue(id);
                if (appended++ % 2 == 0) await node.Instances.CompleteProvisioning(id, operation);
            }
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var ids = known.ToArray();
                Random.Shared.Shuffle(ids);
                foreach (var id in ids)
                {
                    if (!(await node.LastOperations.FindOperation(id, null)).Exists) misses.Add(id);
                    Interlocked.Increment(ref reads);
                }
            }
        })).ToList();
        await Eventually.True(() => Task.FromResult(Interlocked.Read(ref reads) > 0), "the polls have started");
        var progress = new RecordedProgress();
        var readsBefore = Interlocked.Read(ref reads);

        await Rebuilder.Rebuild(StreamViewRebuilder.All, progress, CancellationToken.None);
        var readsDuring = Interlocked.Read(ref reads) - readsBefore;
        await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll([writer, .. readers]);

        output.WriteLine($"{readsDuring} polls during the rebuild, {Interlocked.Read(ref reads)} in all; {appended} instances appended meanwhile");
        Assert.Empty(misses);
        Assert.True(readsDuring > 0 && appended > 0, $"polls ({readsDuring}) and appends ({appended}) ran during the rebuild");
        var last = progress.Of(StreamViewRebuilder.All)[^1];
        Assert.True(last.Processed >= last.Total && last.Total >= 1500, $"progress reached the total: {last}");
        await node.CaughtUp();
        Assert.Empty(await ReadModelRows.NotAsFolded(node, db.DataSource, known));
    }

    [Fact]
    public async Task Rebuild_OneProjection_RecomputesOnlyItsRowsAndReportsUnderItsName()
    {
        var instance = Guid.NewGuid();
        await node.Instances.Provision(instance);
        var binding = Guid.NewGuid();
        await node.Bindings.RequestBinding(instance, binding);
        await node.CaughtUp();
        await ReadModelRows.Execute(db.DataSource, [instance],
            "DELETE FROM broker.binding_operations WHERE instance_id = ANY($1)",
            "UPDATE broker.last_operations SET version = 0, instance = '{}' WHERE instance_id = ANY($1)");
        Assert.Null(await node.BindingOperations.Find(instance, binding));
        Assert.Equal([instance], await ReadModelRows.NotAsFolded(node, db.DataSource, [instance]));
        var progress = new RecordedProgress();

        await Rebuilder.Rebuild(BindingOperations.ProjectionName, progress, CancellationToken.None);

        Assert.Equal(await node.Bindings.Load(binding), await node.BindingOperations.Find(instance, binding), BindingJson.Comparer);
        Assert.Equal([instance], await ReadModelRows.NotAsFolded(node, db.DataSource, [instance]));
        AssertReachesTotal(progress.Of(BindingOperations.ProjectionName), total: 1);
    }

    [Fact]
    public async Task Rebuild_UnknownName_FailsNamingTheKnownProjections()
    {
        var error = await Assert.ThrowsAsync<UnknownProjectionException>(() => Rebuilder.Rebuild("last_operations", null, CancellationToken.None));

        Assert.Equal("There is no projection 'last_operations'. Known: backup-schedules, binding-operations, cluster-members, instance-directory, last-operations, orphaned-vms, or 'all'.", error.Message);
    }

    private static void AssertReachesTotal(IReadOnlyList<RebuildProgress> reports, long total)
    {
        Assert.Equal((0L, total), (reports[0].Processed, reports[0].Total));
        Assert.Equal((total, total), (reports[^1].Processed, reports[^1].Total));
        Assert.Equal(reports.Select(r => r.Processed).Order(), reports.Select(r => r.Processed));
    }

    /// <summary><paramref name="count"/> instances requested, the first <paramref name="completed"/> of them provisioned.</summary>
    private async Task<Guid[]> ProvisionMany(int count, int completed)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        await Parallel.ForEachAsync(ids.Select((id, i) => (id, i)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, ct) =>
        {
            var operation = await node.Instances.RequestProvisioning(item.id, ct);
            if (item.i < completed) await node.Instances.CompleteProvisioning(item.id, operation, ct);
        });
        return ids;
    }
}
