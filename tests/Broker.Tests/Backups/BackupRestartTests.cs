using EventSourced.Broker.Tests.Ops;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Snapshots;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Backups;

/// <summary>A backup whose broker is SIGKILLed right after accepting it (real servers): the next broker on the same state ends it, once.</summary>
public sealed class BackupRestartTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;

    // A request the killed broker never carried out is sent again by the watchdog once the operation made no progress this long.
    public async Task InitializeAsync() =>
        _environment = await BrokerEnvironment.Create(new Dictionary<string, string> { ["Provisioners__NudgeAfter"] = "00:00:05" });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task Backup_BrokerKilledMidway_EndsOnceAfterTheRestart_NoPartialArchiveRecorded_AndItRestores()
    {
        var instanceId = Guid.NewGuid();
        Guid jobId;
        string connection;
        await using (var first = await BrokerProcess.Start(_environment))
        {
            var provisioned = await first.OpsClient.JobWhenFinished(await (await first.OpsClient.ProvisionJob(instanceId)).JobId(), details: () => first.Output);
            Assert.True((string?)provisioned["state"] == "succeeded", $"{provisioned}\n{first.Output}");
            connection = await _environment.AdminConnectionString(instanceId);
            await Snapshots.Snapshots.Fill(connection, rows: 20000);
            jobId = await (await first.OpsClient.BackupJob(instanceId)).JobId();
            await first.Kill();
        }
        var expected = await Snapshots.Snapshots.Checksums(connection);

        await using var second = await BrokerProcess.Start(_environment);
        var job = await second.OpsClient.JobWhenFinished(jobId, details: () => second.Output);

        var events = await _environment.InstanceEvents(instanceId);
        var ends = events.Where(e => e is BackupCompleted or BackupFailed).ToList();
        Assert.True(ends.Count == 1, $"{job}\n{string.Join("\n", events)}");
        var backups = Path.Combine(_environment.DataRoot, instanceId.ToString(), "backups");
        Guid restorable;
        if ((string?)job["state"] == "succeeded")
        {
            // What is recorded is a whole archive under its final name, whose checksum is the recorded one.
            var completed = Assert.IsType<BackupCompleted>(ends[0]);
            Assert.Equal(Path.Combine(backups, $"{completed.BackupId}.tar.gz"), completed.Path);
            Assert.Equal(completed.Sha256, await SnapshotArchive.Sha256Of(completed.Path, CancellationToken.None));
            var staging = Directory.CreateTempSubdirectory("backup-restart-").FullName;
            try
            {
                Assert.Equal(completed.BackupId, (await SnapshotArchive.Verify(completed.Path, staging, CancellationToken.None)).SnapshotId);
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
            restorable = completed.BackupId;
        }
        else
        {
            Assert.True((string?)job["state"] == "failed", job.ToJsonString());
            Assert.Empty(Directory.Exists(backups) ? Directory.GetFiles(backups, "*.tar.gz") : []);
            restorable = await second.OpsClient.BackUp(instanceId, () => second.Output);
        }
        // The instance is usable again either way: a backup restores in place, every row back.
        await Backups.DeleteRows(connection);
        var restore = await second.OpsClient.JobWhenFinished(await (await second.OpsClient.RestoreJob(instanceId, restorable.ToString())).JobId(),
            details: () => second.Output);
        Assert.True((string?)restore["state"] == "succeeded", $"{restore}\n{second.Output}");
        Assert.Equal(expected, await Snapshots.Snapshots.Checksums(connection));
    }
}
