using EventSourced.Provisioners.Backends;

namespace EventSourced.Provisioners.Tests.Backends;

public sealed class ConcurrentStorageFixture() : LocalBackendFixture(23890, 23899);

/// <summary>
/// The storage step run several times at once for one instance (a redelivered update and its nudge): every run succeeds
/// with the same record. Found by the chaos test: the runs shared one temporary file, and a loser's rename failed
/// ("Could not find file storage.json.tmp"), failing an update whose other run had already changed the server.
/// </summary>
public sealed class ConcurrentStorageStepTests(ConcurrentStorageFixture fixture) : IClassFixture<ConcurrentStorageFixture>
{
    [Fact]
    public async Task StorageProvision_TwentyRunsAtOnce_AllSucceedWithTheSameRecord()
    {
        var instanceId = fixture.NewInstance();
        await fixture.Storage.Provision(instanceId, 256, CancellationToken.None);
        using var gate = new Barrier(20);

        var runs = Enumerable.Range(0, 20).Select(_ => Task.Run(() =>
        {
            gate.SignalAndWait();
            return fixture.Storage.Provision(instanceId, 512, CancellationToken.None);
        }));
        var allocations = await Task.WhenAll(runs);

        Assert.All(allocations, a => Assert.Equal(512, a.DiskMb));
        Assert.Equal(512, (await fixture.Storage.Provision(instanceId, 512, CancellationToken.None)).DiskMb);
        Assert.Empty(Directory.EnumerateFiles(allocations[0].DataDirectory, "*.tmp"));
    }
}
