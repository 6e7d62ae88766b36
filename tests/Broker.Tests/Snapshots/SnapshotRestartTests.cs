using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Ops;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Snapshots;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Snapshots;

/// <summary>An export whose broker is killed right after accepting it (real servers): the next broker on the same state ends it.</summary>
public sealed class SnapshotRestartTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;

    // A request the killed broker never carried out is sent again by the watchdog once the operation made no progress this long.
    public async Task InitializeAsync() =>
        _environment = await BrokerEnvironment.Create(new Dictionary<string, string> { ["Provisioners__NudgeAfter"] = "00:00:05" });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task Export_BrokerKilledAfterAccepting_EndsAfterTheRestart_OnceAndWholeOrNotAtAll()
    {
        var instanceId = Guid.NewGuid();
        Guid jobId, snapshotId;
        await using (var first = await BrokerProcess.Start(_environment))
        {
            var provisioned = await first.OpsClient.JobWhenFinished(await (await first.OpsClient.ProvisionJob(instanceId)).JobId(), details: () => first.Output);
            Assert.True((string?)provisioned["state"] == "succeeded", $"{provisioned}\n{first.Output}");
            await Snapshots.Fill(await _environment.AdminConnectionString(instanceId), rows: 20000);
            (jobId, snapshotId) = await first.OpsClient.Export(instanceId);
            await first.Kill();
        }

        await using var second = await BrokerProcess.Start(_environment);
        var job = await second.OpsClient.JobWhenFinished(jobId, details: () => second.Output);

        var events = await _environment.InstanceEvents(instanceId);
        var ends = events.Where(e => e is SnapshotExported or SnapshotExportFailed).ToList();
        Assert.True(ends.Count == 1, $"{job}\n{string.Join("\n", events)}");
        var archive = SnapshotArchive.PathOf(Path.Combine(_environment.DataRoot, "snapshots"), null, snapshotId);
        if ((string?)job["state"] == "succeeded")
        {
            var exported = Assert.IsType<SnapshotExported>(ends[0]);
            Assert.Equal(exported.Sha256, await SnapshotArchive.Sha256Of(archive, CancellationToken.None));
            var staging = Directory.CreateTempSubdirectory("restart-").FullName;
            try
            {
                Assert.Equal(snapshotId, (await SnapshotArchive.Verify(archive, staging, CancellationToken.None)).SnapshotId);
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
        }
        else
        {
            Assert.True((string?)job["state"] == "failed", job.ToJsonString());
            Assert.False(File.Exists(archive));
        }
        // No half-written archive is left where archives are looked for.
        Assert.Empty(Directory.GetFiles(Path.Combine(_environment.DataRoot, "snapshots"), "*.partial"));
        // The instance is usable again either way: another export is accepted and succeeds.
        var again = await second.OpsClient.JobWhenFinished((await second.OpsClient.Export(instanceId)).JobId, details: () => second.Output);
        Assert.True((string?)again["state"] == "succeeded", $"{again}\n{second.Output}");
    }
}
