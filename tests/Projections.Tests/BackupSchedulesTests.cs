using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Backups;
using EventSourced.Projections.Rebuild;
using EventSourced.Projections.Tests.Support;
using EventSourced.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static EventSourced.Projections.Tests.Support.BrokerCommands;

namespace EventSourced.Projections.Tests;

/// <summary>
/// The backup scheduler's view: a row per instance ever scheduled with its next slot and its backups to tidy, written with
/// each append, the same rows again from a rebuild, and only the instances with work due read by a pass.
/// </summary>
public sealed class BackupSchedulesTests : IAsyncLifetime
{
    private const string Daily = """{"backup":{"enabled":true,"schedule":"0 3 * * *","retain":1}}""";
    private PostgresDatabase db = null!;
    private BrokerNode node = null!;

    private BackupSchedules Schedules => node.Services.GetRequiredService<BackupSchedules>();

    public async Task InitializeAsync()
    {
        db = await PostgresDatabase.Create();
        node = await BrokerNode.Start(db, daemon: false);
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await db.DisposeAsync();
    }

    [Fact]
    public async Task Rows_FollowSlotsBackupsAndStatus_OnlyDueWorkIsRead_AndARebuildGivesTheSameRows()
    {
        // Kept beyond its retain of 1: a scheduled backup, then one by hand.
        var kept = await ProvisionScheduled(host: null);
        await Backup(kept, slot: T0.AddHours(3), failed: false);
        await Backup(kept, slot: null, failed: false);
        // Its 03:00 slot not taken yet, its last backup (by hand) failed at 04:30.
        var failing = await ProvisionScheduled(host: "host-b");
        await Backup(failing, slot: null, failed: true);
        // Its 03:00 slot due, nothing to tidy.
        var due = await ProvisionScheduled(host: null);
        var unscheduled = Guid.NewGuid();
        await node.Instances.Provision(unscheduled);
        var gone = await ProvisionScheduled(host: null);
        await node.Instances.Deprovision(gone);
        var now = T0.AddHours(5);

        Assert.Equal(new[] { kept, failing, due }.Order(), (await Rows()).Select(r => r.InstanceId).Order());
        Assert.Equal(Sorted([new BackupWork(kept, SlotDue: false, Tidy: true), new BackupWork(failing, SlotDue: true, Tidy: true),
                new BackupWork(due, SlotDue: true, Tidy: false)]),
            Sorted(await Schedules.Due(now, "host-b")));
        // Another host takes due slots too, but tidies only its own instances and those of no host.
        Assert.Equal(Sorted([new BackupWork(kept, SlotDue: false, Tidy: true), new BackupWork(failing, SlotDue: true, Tidy: false),
                new BackupWork(due, SlotDue: true, Tidy: false)]),
            Sorted(await Schedules.Due(now, "host-c")));
        // Before the 03:00 slot, on another host: nothing but the backups beyond retention.
        Assert.Equal([new BackupWork(kept, SlotDue: false, Tidy: true)], await Schedules.Due(T0.AddHours(2), "host-c"));
        // A failure older than the tidying window is not looked at again.
        Assert.Equal([new BackupWork(failing, SlotDue: true, Tidy: false)],
            (await Schedules.Due(now + BackupSchedules.TidyAfterFailureFor, "host-b")).Where(w => w.InstanceId == failing));

        var before = await Rows();
        await ReadModelRows.Execute(db.DataSource, [kept],
            "UPDATE broker.backup_schedules SET version = 0, status = 'Corrupt', next_slot = NULL, beyond_retention = false WHERE instance_id = ANY($1)");
        await ReadModelRows.Execute(db.DataSource, [failing], "DELETE FROM broker.backup_schedules WHERE instance_id = ANY($1)");
        Assert.NotEqual(before, await Rows());
        await node.Services.GetRequiredService<StreamViewRebuilder>().Rebuild(BackupSchedules.ProjectionName, null, CancellationToken.None);

        Assert.Equal(before, await Rows());
    }

    [Fact]
    public async Task AScheduleInTheLogThatIsNoCron_IsNeverDue_AndAppendsToItsStreamGoOn()
    {
        var instance = await ProvisionScheduled(host: null);
        // Decisions refuse such a schedule; one in the log all the same (written by hand, an older release) must not stop
        // every later append to the stream, whose view rows are written in the same transaction.
        await Append(instance, new BackupScheduleSet(instance, "61 * * * * *", 1, T0.AddMinutes(1)));
        await Backup(instance, slot: null, failed: false);

        var row = Assert.Single(await Rows());
        Assert.Equal((instance, (DateTimeOffset?)null), (row.InstanceId, row.NextSlot));
        Assert.DoesNotContain(await Schedules.Due(T0.AddYears(1), "host-b"), w => w.SlotDue);
    }

    private async Task<Guid> ProvisionScheduled(string? host)
    {
        var instanceId = Guid.NewGuid();
        var command = new ProvisionServiceInstance(instanceId, Guid.NewGuid(), "service", "plan", "org", "space", Daily, null, 1024, T0, Host: host);
        var operationId = await Accept(instanceId, state => ServiceInstanceDecisions.Decide(state, command));
        await node.Instances.CompleteProvisioning(instanceId, operationId);
        return instanceId;
    }

    private async Task Backup(Guid instanceId, DateTimeOffset? slot, bool failed)
    {
        var (operationId, backupId, at) = (Guid.NewGuid(), Guid.NewGuid(), slot ?? T0.AddHours(4));
        await Accept(instanceId, state => BackupDecisions.Decide(state, new TakeBackup(instanceId, operationId, backupId, slot, at)));
        IDomainEvent outcome = failed
            ? new BackupFailed(instanceId, operationId, "disk full", at.AddMinutes(30))
            : new BackupCompleted(instanceId, operationId, backupId, $"/data/{instanceId}/backups/{backupId}.tar.gz", 1, "sha", "16", at.AddMinutes(30));
        await Accept(instanceId, state => ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(operationId, outcome)));
    }

    private Task Append(Guid instanceId, IDomainEvent e) => Accept(instanceId, _ => new Decision.Accepted(Guid.NewGuid(), [e]));

    private async Task<Guid> Accept(Guid instanceId, Func<ServiceInstance, Decision> decide) =>
        Assert.IsType<Decision.Accepted>(await node.Instances.Handle(instanceId, decide, new EventMetadata(Guid.NewGuid()))).OperationId;

    private sealed record Row(Guid InstanceId, long Version, string Status, string? Host, DateTimeOffset? NextSlot, bool BeyondRetention, DateTimeOffset? FailedAt);

    private async Task<List<Row>> Rows()
    {
        await using var command = db.DataSource.CreateCommand(
            "SELECT instance_id, version, status, host, next_slot, beyond_retention, backup_failed_at FROM broker.backup_schedules ORDER BY instance_id");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Row>();
        while (await reader.ReadAsync())
            rows.Add(new Row(reader.GetGuid(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        return rows;
    }

    private static List<BackupWork> Sorted(IEnumerable<BackupWork> work) => work.OrderBy(w => w.InstanceId).ToList();
}
