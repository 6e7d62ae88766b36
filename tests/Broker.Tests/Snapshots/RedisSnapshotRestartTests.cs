using EventSourced.Broker.Tests.Ops;
using EventSourced.Broker.Tests.Redis;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Snapshots;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Snapshots;

/// <summary>
/// A Redis export whose broker is killed right after accepting it (real servers): the next broker on the same state ends
/// it once, whole or failed, and the snapshot it ends with imports every key.
/// </summary>
public sealed class RedisSnapshotRestartTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;

    // A request the killed broker never carried out is sent again by the watchdog once the operation made no progress this long.
    public async Task InitializeAsync() =>
        _environment = await BrokerEnvironment.Create(new Dictionary<string, string>(RedisOsb.Enabled()) { ["Provisioners__NudgeAfter"] = "00:00:05" });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task Export_BrokerKilledAfterAccepting_EndsOnceAfterTheRestart_AndItsSnapshotImportsEveryKey()
    {
        var source = Guid.NewGuid();
        Guid jobId, snapshotId;
        SortedDictionary<string, string> expected;
        await using (var first = await BrokerProcess.Start(_environment))
        {
            var port = await first.ProvisionRedis(_environment, source);
            var login = await first.BindRedis(source);
            await RedisData.Fill(port, login);
            expected = await RedisData.Read(port, login);
            (jobId, snapshotId) = await first.OpsClient.Export(source);
            await first.Kill();
        }

        await using var second = await BrokerProcess.Start(_environment);
        var job = await second.OpsClient.JobWhenFinished(jobId, details: () => second.Output);

        var events = await _environment.InstanceEvents(source);
        var ends = events.Where(e => e is SnapshotExported or SnapshotExportFailed).ToList();
        Assert.True(ends.Count == 1, $"{job}\n{string.Join("\n", events)}");
        // No half-written archive is left where archives are looked for (no snapshots root at all: nothing was written).
        var root = Path.Combine(_environment.DataRoot, "snapshots");
        Assert.Empty(Directory.Exists(root) ? Directory.GetFiles(root, "*.partial") : []);
        if ((string?)job["state"] != "succeeded")
        {
            // Failed as a whole: no archive; the instance exports again.
            Assert.True((string?)job["state"] == "failed", job.ToJsonString());
            Assert.False(File.Exists(SnapshotArchive.PathOf(Path.Combine(_environment.DataRoot, "snapshots"), null, snapshotId)));
            (jobId, snapshotId) = await second.OpsClient.Export(source);
            var again = await second.OpsClient.JobWhenFinished(jobId, details: () => second.Output);
            Assert.True((string?)again["state"] == "succeeded", $"{again}\n{second.Output}");
        }

        var imported = Guid.NewGuid();
        var import = await second.OpsClient.JobWhenFinished(
            await (await second.OpsClient.ImportJob(new { ownerId = "importer", instanceId = imported, snapshotId })).JobId(), details: () => second.Output);
        Assert.True((string?)import["state"] == "succeeded", $"{import}\n{second.Output}");
        var importedPort = (await _environment.InstanceEvents(imported)).OfType<ServerProvisioned>().Single().Port;
        Assert.Equal(expected, await RedisData.Read(importedPort, await second.BindRedis(imported)));
    }
}
