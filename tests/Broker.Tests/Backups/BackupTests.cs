using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.IntegrationEvents;
using EventSourced.Broker.Tests.Ops;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Backups;
using EventSourced.Provisioners.Backups;
using EventSourced.Provisioners.Hosts;
using EventSourced.Provisioners.Snapshots;
using EventSourced.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Tests.Backups;

/// <summary>
/// One broker on the local backend whose scheduler looks for due backups every 2 s, and two instances with data (made
/// once, on first use), shared by the backup tests.
/// </summary>
public sealed class BackupBrokerFixture : BrokerFixture
{
    private Task<Guid>? _source, _other;

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Backups__SchedulerInterval"] = "00:00:02" };

    public Task<Guid> Source() => _source ??= Provisioned("backup-owner");

    public Task<Guid> Other() => _other ??= Provisioned("backup-other");

    public async Task<Guid> Provisioned(string owner)
    {
        var instanceId = Guid.NewGuid();
        var job = await Broker.OpsClient.JobWhenFinished(await (await Broker.OpsClient.ProvisionJob(instanceId, owner)).JobId(), details: () => Broker.Output);
        Assert.True((string?)job["state"] == "succeeded", $"{job}\n{Broker.Output}");
        await Snapshots.Snapshots.Fill(await Environment.AdminConnectionString(instanceId), rows: 2000);
        return instanceId;
    }
}

/// <summary>
/// Scheduled backups on real servers: the broker's own scheduler takes a slot, a restore in place brings every row back,
/// each slot is taken once by two schedulers, switched off no slot is taken, retention keeps the newest, and hostile
/// requests are refused with nothing recorded.
/// </summary>
public sealed class BackupTests(BackupBrokerFixture fixture) : IClassFixture<BackupBrokerFixture>
{
    private HttpClient Ops => fixture.Broker.OpsClient;

    [Fact]
    public async Task ScheduledByTheBroker_ThenRowsDeleted_RestoreByTheCli_BringsEveryRowBack_AndTellsDfe()
    {
        await using var subscriber = await DfeSubscriber.Connect(fixture.Environment.VirtualHost.Name);
        var instanceId = await fixture.Provisioned("backup-e2e");
        var connection = await fixture.Environment.AdminConnectionString(instanceId);
        var expected = await Snapshots.Snapshots.Checksums(connection);

        await fixture.Broker.Client.SetBackup(instanceId, new { enabled = true, schedule = "* * * * *", retain = 2 });
        // The broker's scheduler takes the next minute's slot (within its 2 s pass after the minute comes).
        var events = await Eventually.Until(() => fixture.Environment.InstanceEvents(instanceId),
            e => e.OfType<BackupCompleted>().Any(), "a scheduled backup completes", seconds: 240, details: () => fixture.Broker.Output);
        var completed = events.OfType<BackupCompleted>().First();
        var started = events.OfType<BackupStarted>().Single(s => s.BackupId == completed.BackupId);
        Assert.NotNull(started.ScheduledFor);
        Assert.Equal(0, started.ScheduledFor!.Value.Second);
        Assert.Equal(Path.Combine(fixture.Environment.DataRoot, instanceId.ToString(), "backups", $"{completed.BackupId}.tar.gz"), completed.Path);
        Assert.Equal(completed.Sha256, await SnapshotArchive.Sha256Of(completed.Path, CancellationToken.None));
        // Off: the backups stay, the slots stop.
        await fixture.Broker.Client.SetBackup(instanceId, new { enabled = false });
        await Ops.Idle(instanceId);

        await Backups.DeleteRows(connection);
        Assert.NotEqual(expected, await Snapshots.Snapshots.Checksums(connection));
        var list = await EventSourced.Broker.Tests.Ops.Cli.Against(fixture.Broker, fixture.Environment, "backups", "list", "--output", "json", instanceId.ToString());
        Assert.True(list.ExitCode == 0, list.ToString());
        var listed = JsonNode.Parse(list.Output)!;
        Assert.False((bool)listed["schedule"]!["enabled"]!);
        Assert.Contains(listed["backups"]!.AsArray(), b => (string?)b!["backupId"] == completed.BackupId.ToString() && (string?)b["state"] == "succeeded");
        var restore = await EventSourced.Broker.Tests.Ops.Cli.Against(fixture.Broker, fixture.Environment, "backups", "restore", instanceId.ToString(), completed.BackupId.ToString());

        Assert.True(restore.ExitCode == 0, $"{restore}\n{fixture.Broker.Output}");
        Assert.Contains($"Restored backup {completed.BackupId}", restore.Output);
        Assert.Equal(expected, await Snapshots.Snapshots.Checksums(connection));
        bool Ours(DfeMessage m) => (string?)JsonNode.Parse(m.Body)!["backupId"] == completed.BackupId.ToString();
        var told = await Eventually.Until(() => Task.FromResult(subscriber.Received.Where(Ours).ToList()),
            received => new[] { "dfe.backed-up", "dfe.database.backed-up", "dfe.restored", "dfe.database.restored" }
                .All(name => received.Any(m => m.RoutingKey == name)), "the backup's dfe events", seconds: 60);
        Assert.Equal("backup-scheduler", (string?)JsonNode.Parse(told.First(m => m.RoutingKey == "dfe.backed-up").Body)!["requestingService"]!["platform"]);
        Assert.Equal("ops", (string?)JsonNode.Parse(told.First(m => m.RoutingKey == "dfe.restored").Body)!["requestingService"]!["platform"]);
    }

    [Fact]
    public async Task TwoWorkers_TakeEachSlotOnce_Retention_KeepsTheNewest_SwitchedOff_NoSlotIsTaken()
    {
        var instanceId = await fixture.Source();
        // Slots on 29 February only: the broker's own scheduler (real time) never finds one due; these two, on a clock set
        // to such a day, do.
        await fixture.Broker.Client.SetBackup(instanceId, new { enabled = true, schedule = "0 0 29 2 *", retain = 2 });
        var first = new DateTimeOffset(2028, 2, 29, 0, 0, 0, TimeSpan.Zero);
        var second = new DateTimeOffset(2032, 2, 29, 0, 0, 0, TimeSpan.Zero);

        var firstBackup = await BothWorkersPass(instanceId, first);
        var secondBackup = await BothWorkersPass(instanceId, second);
        // Passing again on a slot already taken takes nothing.
        await Task.WhenAll(Scheduler(second.AddMinutes(1)).Pass(CancellationToken.None), Scheduler(second.AddMinutes(1)).Pass(CancellationToken.None));
        Assert.Equal(2, (await fixture.Environment.InstanceEvents(instanceId)).OfType<BackupStarted>().Count(s => s.ScheduledFor is not null));

        // A third backup (by hand) with retain 2: the oldest archive is removed, and that is recorded.
        var third = await Ops.BackUp(instanceId, () => fixture.Broker.Output);
        var events = await Eventually.Until(() => fixture.Environment.InstanceEvents(instanceId),
            e => e.OfType<BackupRemoved>().Any(r => r.BackupId == firstBackup.BackupId), "the oldest backup is removed", seconds: 60);
        Assert.False(File.Exists(firstBackup.Path));
        Assert.True(File.Exists(secondBackup.Path));
        Assert.Equal([secondBackup.BackupId, third], ServiceInstance.Fold(events).Backups.Kept.Select(b => b.BackupId));
        var listed = (await Ops.BackupList(instanceId))["backups"]!.AsArray();
        Assert.Equal("removed", (string?)listed.Single(b => (string?)b!["backupId"] == firstBackup.BackupId.ToString())!["state"]);

        await fixture.Broker.Client.SetBackup(instanceId, new { enabled = false });
        var before = (await fixture.Environment.InstanceEvents(instanceId)).OfType<BackupStarted>().Count();
        var later = new DateTimeOffset(2036, 2, 29, 0, 0, 30, TimeSpan.Zero);
        await Task.WhenAll(Scheduler(later).Pass(CancellationToken.None), Scheduler(later).Pass(CancellationToken.None));
        Assert.Equal(before, (await fixture.Environment.InstanceEvents(instanceId)).OfType<BackupStarted>().Count());
        Assert.True(File.Exists(secondBackup.Path));
    }

    [Fact]
    public async Task HostileInput_IsRefused_AndRecordsNothing()
    {
        var (source, other) = (await fixture.Source(), await fixture.Other());
        var osb = fixture.Broker.Client;
        foreach (var (backup, named) in new (object Backup, string Named)[]
                 {
                     (new { enabled = true, schedule = "61 * * * *" }, "schedule"),
                     (new { enabled = true, schedule = "* * * *" }, "5-field"),
                     (new { enabled = true, schedule = "0 3 * * *", retain = 0 }, "retain"),
                     (new { enabled = true, schedule = "0 3 * * *", keep = 3 }, "keep"),
                     (new { enabled = true }, "schedule"),
                     (new { schedule = "0 3 * * *" }, "enabled"),
                     ("daily", "backup"),
                 })
        {
            // The other instance never had a schedule (enabling without one is refused there).
            var refused = await fixture.Environment.Refused(osb, c => c.PatchBackup(other, backup));
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{named}: {(int)refused.StatusCode} {text}");
            Assert.Contains(named, text);
        }
        var provision = await fixture.Environment.Refused(osb, c => c.Provision(Guid.NewGuid(),
            Hosting.Osb.ProvisionBody(parameters: new { backup = new { enabled = true, schedule = "0 3 * * * *" } })));
        Assert.Equal(HttpStatusCode.BadRequest, provision.StatusCode);

        var othersBackup = await Ops.BackUp(other, () => fixture.Broker.Output);
        foreach (var (path, status) in new (string, HttpStatusCode)[]
                 {
                     ($"/api/v1/ops/instances/{source}/backups/{othersBackup}/restore", HttpStatusCode.NotFound),
                     ($"/api/v1/ops/instances/{source}/backups/{Guid.NewGuid()}/restore", HttpStatusCode.NotFound),
                     ($"/api/v1/ops/instances/{source}/backups/..%2F..%2F{othersBackup}/restore", HttpStatusCode.BadRequest),
                     ($"/api/v1/ops/instances/{source}/backups/not-a-guid/restore", HttpStatusCode.BadRequest),
                     ($"/api/v1/ops/instances/{Guid.NewGuid()}/backups/{othersBackup}/restore", HttpStatusCode.NotFound),
                     ($"/api/v1/ops/instances/{Guid.NewGuid()}/backups", HttpStatusCode.NotFound),
                     ("/api/v1/ops/instances/..%2F..%2Fetc/backups", HttpStatusCode.BadRequest),
                 })
        {
            var refused = await fixture.Environment.Refused(Ops, c => c.PostAsync(path, null));
            Assert.True(refused.StatusCode == status, $"{path}: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
        }
        var cli = await EventSourced.Broker.Tests.Ops.Cli.Against(fixture.Broker, fixture.Environment, "backups", "restore", source.ToString(), othersBackup.ToString());
        Assert.True(cli.ExitCode == 2, cli.ToString());
        Assert.Contains($"has no backup {othersBackup}", cli.Error);
    }

    /// <summary>Two workers' schedulers pass at once, twice, at the slot: one backup is started for it, and it completes.</summary>
    private async Task<BackupCompleted> BothWorkersPass(Guid instanceId, DateTimeOffset slot)
    {
        var (a, b) = (Scheduler(slot.AddSeconds(30)), Scheduler(slot.AddSeconds(30)));
        await Task.WhenAll(a.Pass(CancellationToken.None), b.Pass(CancellationToken.None), a.Pass(CancellationToken.None), b.Pass(CancellationToken.None));
        var started = Assert.Single((await fixture.Environment.InstanceEvents(instanceId)).OfType<BackupStarted>(), s => s.ScheduledFor == slot);
        // These schedulers append without the broker's inline read models (the test's store has none): the job is readable
        // once the broker recorded how it ended.
        await Eventually.Until(() => fixture.Environment.InstanceEvents(instanceId),
            events => events.Any(e => e is BackupCompleted c && c.OperationId == started.OperationId || e is BackupFailed f && f.OperationId == started.OperationId),
            "the scheduled backup ends", seconds: 120, details: () => fixture.Broker.Output);
        var job = await Ops.JobWhenFinished(started.OperationId, details: () => fixture.Broker.Output);
        Assert.True((string?)job["state"] == "succeeded", $"{job}\n{fixture.Broker.Output}");
        Assert.Equal("backup", (string?)job["kind"]);
        return (await fixture.Environment.InstanceEvents(instanceId)).OfType<BackupCompleted>().Single(c => c.OperationId == started.OperationId);
    }

    /// <summary>A worker's scheduler on a clock of the test's, on a host of its own (retention is the instance's host's).</summary>
    private BackupScheduler Scheduler(DateTimeOffset now)
    {
        var clock = new FixedClock(now);
        var instances = new ServiceInstanceStore(new StreamStore(fixture.Environment.Store, clock, groupCommit: false));
        var retention = new BackupRetention(instances, Options.Create(new WorkerHostOptions { Name = "test-worker" }), clock, NullLogger<BackupRetention>.Instance);
        var schedules = new BackupSchedules(fixture.Environment.Database.DataSource, Options.Create(new EventStoreOptions()));
        return new BackupScheduler(schedules, instances, retention, new ServiceCollection().BuildServiceProvider(),
            Options.Create(new BackupOptions()), Options.Create(new WorkerHostOptions { Name = "test-worker" }), clock, NullLogger<BackupScheduler>.Instance);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
