using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>
/// Scheduled backups: the <c>backup</c> parameter is recorded on its own (no operation), a schedule's slot is taken once,
/// a backup and a restore are operations of the instance, and retention keeps the newest completed backups.
/// </summary>
public sealed class BackupDecisionsTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly Guid FirstOperation = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 5, 0, 30, TimeSpan.Zero);

    private static readonly IDomainEvent[] Provisioned =
    [
        new ServiceInstanceProvisioningRequested(InstanceId, FirstOperation, "pg", "small", "org", "space", """{"max_connections":50}""", null, 1024, Now, Host: "host-a"),
        new StorageProvisioned(InstanceId, FirstOperation, "/data/x", 1024, Now),
        new ServerProvisioned(InstanceId, FirstOperation, "127.0.0.1", 56001, Now),
        new DatabaseProvisioned(InstanceId, FirstOperation, "service", "service_admin", "v1:secret", Now),
        new ServiceInstanceProvisioned(InstanceId, FirstOperation, Now),
    ];

    private static ServiceInstance Given(params IEnumerable<IDomainEvent>[] events) => ServiceInstance.Fold(events.SelectMany(e => e));

    private static UpdateServiceInstance Patch(string parameters) =>
        new(InstanceId, Guid.NewGuid(), null, parameters, null, null, 0, (_, _) => true, Now);

    private static IReadOnlyList<IDomainEvent> Accepted(Decision decision) => Assert.IsType<Decision.Accepted>(decision).Events;

    private static IReadOnlyList<IDomainEvent> Completed(ServiceInstance state, Guid backupId, DateTimeOffset at)
    {
        var started = Accepted(BackupDecisions.Decide(state, new TakeBackup(InstanceId, Guid.NewGuid(), backupId, null, at)));
        var operation = ((BackupStarted)started[0]).OperationId;
        return [.. started, new BackupCompleted(InstanceId, operation, backupId, $"/data/x/backups/{backupId}.tar.gz", 100, "ab", "postgresql 15", at)];
    }

    [Fact]
    public void Update_OnlyTheBackupParameter_RecordsTheSchedule_WithoutAnOperation_AndKeepsTheServerParameters()
    {
        var events = Accepted(ServiceInstanceDecisions.Decide(Given(Provisioned),
            Patch("""{"backup":{"enabled":true,"schedule":"*/5 * * * *","retain":2}}""")));
        var set = Assert.IsType<BackupScheduleSet>(Assert.Single(events));
        Assert.Equal(("*/5 * * * *", 2, Now), (set.Schedule, set.Retain, set.SetAt));
        var state = Given(Provisioned, events);
        Assert.Equal("""{"max_connections":50}""", state.Parameters);
        Assert.False(state.Busy);
        // The same settings again change nothing.
        Assert.IsType<Decision.AlreadyDone>(ServiceInstanceDecisions.Decide(state, Patch("""{"backup":{"enabled":true,"schedule":"*/5 * * * *","retain":2}}""")));
    }

    [Fact]
    public void Update_BackupWithAServerSetting_RecordsBoth_TheSettingWithoutTheBackupKey()
    {
        var events = Accepted(ServiceInstanceDecisions.Decide(Given(Provisioned),
            Patch("""{"max_connections":80,"backup":{"enabled":true,"schedule":"0 3 * * *"}}""")));
        Assert.Equal(BackupParameter.DefaultRetain, events.OfType<BackupScheduleSet>().Single().Retain);
        Assert.Equal("""{"max_connections":80}""", events.OfType<ServiceInstanceUpdateRequested>().Single().Parameters);
    }

    [Theory]
    [InlineData("""{"backup":{"enabled":true,"schedule":"61 * * * *"}}""", "schedule")]
    [InlineData("""{"backup":{"enabled":true,"schedule":"* * * * * *"}}""", "5-field")]
    [InlineData("""{"backup":{"enabled":true,"schedule":"0 3 * * *","retain":0}}""", "retain")]
    [InlineData("""{"backup":{"enabled":true,"schedule":"0 3 * * *","keep":3}}""", "unknown key 'keep'")]
    [InlineData("""{"backup":{"enabled":true}}""", "schedule is required")]
    [InlineData("""{"backup":{"enabled":"yes","schedule":"0 3 * * *"}}""", "enabled")]
    [InlineData("""{"backup":"daily"}""", "object")]
    public void Update_InvalidBackup_IsRefused_NamingWhatIsWrong(string parameters, string named)
    {
        var refused = Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(Given(Provisioned), Patch(parameters)));
        Assert.Equal(DomainErrorCode.Invalid, refused.Error.Code);
        Assert.Contains(named, refused.Error.Description);
    }

    [Fact]
    public void Provision_WithBackup_RecordsTheScheduleAfterTheRequest_AndTheSameRequestAgainIsInProgress()
    {
        var command = new ProvisionServiceInstance(InstanceId, Guid.NewGuid(), "pg", "small", "org", "space",
            """{"backup":{"enabled":true,"schedule":"0 3 * * *","retain":3}}""", null, 1024, Now);
        var events = Accepted(ServiceInstanceDecisions.Decide(ServiceInstance.Initial, command));
        Assert.Null(Assert.IsType<ServiceInstanceProvisioningRequested>(events[0]).Parameters);
        Assert.Equal(3, Assert.IsType<BackupScheduleSet>(events[1]).Retain);
        Assert.IsType<Decision.AlreadyInProgress>(ServiceInstanceDecisions.Decide(Given(events), command with { OperationId = Guid.NewGuid() }));
    }

    [Fact]
    public void DueSlot_IsTheLatestSlotAfterTheSettingAndTheLastTaken_AndEachSlotIsTakenOnce()
    {
        var state = Given(Provisioned, [new BackupScheduleSet(InstanceId, "*/10 * * * *", 2, Now)]);
        Assert.Null(state.Backups.DueSlot(Now.AddMinutes(9)));            // 05:00:30 set, 05:09:30: the 05:00 slot was before the setting
        var slot = state.Backups.DueSlot(Now.AddMinutes(35));             // 05:10, 05:20, 05:30 passed: only the latest is taken
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 5, 30, 0, TimeSpan.Zero), slot);

        var first = Accepted(BackupDecisions.Decide(state, new TakeBackup(InstanceId, Guid.NewGuid(), Guid.NewGuid(), slot, Now.AddMinutes(35))));
        var taken = Given(Provisioned, [new BackupScheduleSet(InstanceId, "*/10 * * * *", 2, Now)], first);
        // A second worker deciding on the same slot finds it taken, whatever the instance is doing.
        Assert.IsType<Decision.AlreadyDone>(BackupDecisions.Decide(taken, new TakeBackup(InstanceId, Guid.NewGuid(), Guid.NewGuid(), slot, Now.AddMinutes(35))));
        Assert.Null(taken.Backups.DueSlot(Now.AddMinutes(39)));
        Assert.Equal(slot!.Value.AddMinutes(10), taken.Backups.DueSlot(Now.AddMinutes(40)));
    }

    [Fact]
    public void Disabled_NoSlotIsDue_AndAScheduledBackupDecidedBeforeTheSwitchChangesNothing_ButKeptBackupsStay()
    {
        var backupId = Guid.NewGuid();
        var scheduled = Given(Provisioned, [new BackupScheduleSet(InstanceId, "* * * * *", 2, Now)]);
        var withBackup = Given(Provisioned, [new BackupScheduleSet(InstanceId, "* * * * *", 2, Now)], Completed(scheduled, backupId, Now.AddMinutes(1)));
        var off = Accepted(ServiceInstanceDecisions.Decide(withBackup, Patch("""{"backup":{"enabled":false}}""")));
        Assert.Equal(2, Assert.IsType<BackupScheduleCleared>(Assert.Single(off)).Retain);
        var state = ServiceInstance.Fold([.. Provisioned, new BackupScheduleSet(InstanceId, "* * * * *", 2, Now), .. Completed(scheduled, backupId, Now.AddMinutes(1)), .. off]);
        Assert.Null(state.Backups.DueSlot(Now.AddHours(5)));
        Assert.IsType<Decision.AlreadyDone>(BackupDecisions.Decide(state, new TakeBackup(InstanceId, Guid.NewGuid(), Guid.NewGuid(), Now.AddHours(5), Now.AddHours(5))));
        Assert.Equal(backupId, Assert.Single(state.Backups.Kept).BackupId);
        Assert.Equal("* * * * *", state.Backups.Schedule);
    }

    [Fact]
    public void Retention_KeepsTheNewestCompleted_RemovalRecordedOnce()
    {
        var state = Given(Provisioned, [new BackupScheduleSet(InstanceId, "0 3 * * *", 2, Now)]);
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
            state = Completed(state, id, Now.AddMinutes(i)).Aggregate(state, ServiceInstance.Evolve);
        Assert.Equal(ids[0], Assert.Single(state.Backups.BeyondRetention).BackupId);
        var removed = Accepted(BackupDecisions.Decide(state, new RecordBackupRemoved(ids[0], Now.AddHours(1))));
        state = removed.Aggregate(state, ServiceInstance.Evolve);
        Assert.Equal(ids[1..], state.Backups.Kept.Select(b => b.BackupId));
        Assert.Empty(state.Backups.BeyondRetention);
        Assert.IsType<Decision.AlreadyDone>(BackupDecisions.Decide(state, new RecordBackupRemoved(ids[0], Now.AddHours(1))));
    }

    [Fact]
    public void BackupAndRestore_AreOperations_RefusedWhileAnotherRuns_RestoreOnlyOfAKeptBackupOfThisInstance()
    {
        var backupId = Guid.NewGuid();
        var state = Completed(Given(Provisioned), backupId, Now).Aggregate(Given(Provisioned), ServiceInstance.Evolve);
        Assert.Equal((OperationKind.Backup, OperationState.Succeeded), (state.LastOperation!.Kind, state.LastOperation.State));

        var unknown = Assert.IsType<Decision.Rejected>(BackupDecisions.Decide(state, new RestoreBackup(InstanceId, Guid.NewGuid(), Guid.NewGuid(), Now)));
        Assert.Equal(DomainErrorCode.NotFound, unknown.Error.Code);
        var restore = Accepted(BackupDecisions.Decide(state, new RestoreBackup(InstanceId, Guid.NewGuid(), backupId, Now)));
        var requested = Assert.IsType<BackupRestoreRequested>(Assert.Single(restore));
        Assert.Equal("host-a", requested.Host);
        var restoring = restore.Aggregate(state, ServiceInstance.Evolve);
        Assert.Equal(OperationKind.Restore, restoring.LastOperation!.Kind);

        var busy = Assert.IsType<Decision.Rejected>(BackupDecisions.Decide(restoring, new TakeBackup(InstanceId, Guid.NewGuid(), Guid.NewGuid(), null, Now)));
        Assert.Equal(DomainErrorCode.ConcurrencyError, busy.Error.Code);
        Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(restoring, new DeprovisionServiceInstance(InstanceId, Guid.NewGuid(), Now)));
        Assert.Equal(DomainErrorCode.ConcurrencyError,
            Assert.IsType<Decision.Rejected>(BackupDecisions.Decide(restoring, new RestoreBackup(InstanceId, Guid.NewGuid(), backupId, Now))).Error.Code);

        var done = ServiceInstance.Evolve(restoring, new BackupRestored(InstanceId, requested.OperationId, backupId, Now));
        Assert.Equal($"Restored backup {backupId}", done.LastOperation!.Description);
    }
}
