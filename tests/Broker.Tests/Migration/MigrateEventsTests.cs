using System.Text.Json;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.EventStore.Legacy;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;
using JasperFx.Events;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace EventSourced.Broker.Tests.Migration;

/// <summary>
/// `db migrate-events` on a database of the previous event store: every event lands in Marten in the old global order,
/// with its id, time and metadata, binding events in their binding's own stream, and every instance and binding folds
/// to what it folded to before; the read models are rebuilt; a second run copies nothing.
/// </summary>
public sealed class MigrateEventsTests(ITestOutputHelper log) : IAsyncLifetime
{
    private static readonly Guid Instance1 = Guid.Parse("11111111-1111-4111-8111-111111111111");
    private static readonly Guid Instance2 = Guid.Parse("22222222-2222-4222-8222-222222222222");
    private static readonly Guid Instance3 = Guid.Parse("33333333-3333-4333-8333-333333333333");
    private static readonly Guid Binding1 = Guid.Parse("b1b1b1b1-0000-4000-8000-000000000001");
    private static readonly Guid Binding2 = Guid.Parse("b2b2b2b2-0000-4000-8000-000000000002");
    private static readonly Guid Binding3 = Guid.Parse("b3b3b3b3-0000-4000-8000-000000000003");

    private PostgresDatabase _database = null!;
    private OldEventStore _old = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.Create();
        _old = new OldEventStore(_database.DataSource);
        await _old.Create();
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Copies_the_old_log_in_order_with_bindings_in_their_own_streams_and_rebuilds_the_read_models()
    {
        await WriteOldLog();
        var old = await _old.ReadAll();
        await using (var before = MigrateEventsCli.Services(_database.ConnectionString))
            Assert.True(await before.GetRequiredService<LegacyEventStore>().NeedsMigration(CancellationToken.None));

        var (exitCode, output, error) = await MigrateEventsCli.Run(_database.ConnectionString);
        log.WriteLine(output);

        Assert.True(exitCode == 0, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains($"Copied {old.Count} events into 6 Marten streams (3 instance, 3 binding;", output);
        Assert.Contains("service-binding-{bindingId}", output);
        Assert.Contains("Read models rebuilt", output);

        await using var services = MigrateEventsCli.Services(_database.ConnectionString);
        var store = services.GetRequiredService<IDocumentStore>();
        Assert.False(await services.GetRequiredService<LegacyEventStore>().NeedsMigration(CancellationToken.None));

        // The global order: Marten's seq_id follows the old (transaction_id, position), not position alone.
        await using var query = store.QuerySession();
        var all = await AllEvents();
        Assert.Equal(old.Select(e => e.EventId), all.Select(e => e.Id));
        Assert.NotEqual(old.Select(e => e.EventId), old.OrderBy(e => e.Position).Select(e => e.EventId));
        Assert.Equal(all.Select(e => e.Sequence).Order(), all.Select(e => e.Sequence));

        // Each event: same id, time, metadata and payload; in its binding's stream when it is a binding event.
        var byId = all.ToDictionary(e => e.Id);
        foreach (var row in old)
        {
            var migrated = byId[row.EventId];
            var binding = LegacyEventStore.BindingOf(row.Data);
            Assert.Equal(binding is { } b ? ServiceBinding.StreamId(b) : row.StreamId, migrated.StreamKey);
            Assert.Equal(row.CreatedAt, migrated.Timestamp);
            Assert.Equal(row.Metadata, EventMetadata.Of(migrated));
            Assert.Equal(row.Data.GetType(), migrated.Data.GetType());
            Assert.Equal(JsonSerializer.Serialize(row.Data, row.Data.GetType()), JsonSerializer.Serialize(migrated.Data, migrated.Data.GetType()));
            Assert.Equal(store.Options.Events.AllKnownEventTypes().Single(t => t.EventType == row.Data.GetType()).EventTypeName, migrated.EventTypeName);
        }

        // Streams: versions 1..n in the old version order; instance streams without binding events; stream times kept.
        foreach (var stream in all.GroupBy(e => e.StreamKey!))
        {
            var events = await query.Events.FetchStreamAsync(stream.Key);
            Assert.Equal(Enumerable.Range(1, events.Count).Select(v => (long)v), events.Select(e => e.Version));
            var state = await query.Events.FetchStreamStateAsync(stream.Key);
            Assert.Equal(events.Count, state!.Version);
            Assert.Equal(events[0].Timestamp, state.Created);
            Assert.Equal(events.Max(e => e.Timestamp), state.LastTimestamp);
            if (stream.Key.StartsWith("service-instance-", StringComparison.Ordinal))
                Assert.DoesNotContain(events, e => LegacyEventStore.BindingOf((IDomainEvent)e.Data) is not null);
            var ids = events.Select(e => e.Id).ToHashSet();
            Assert.Equal(old.Where(r => ids.Contains(r.EventId)).OrderBy(r => r.StreamId, StringComparer.Ordinal).ThenBy(r => r.Version)
                .Select(r => r.EventId), events.Select(e => e.Id));
            Assert.Equal(stream.Count(), events.Count);
        }

        // Every instance and binding folds to what it folded to in the old store.
        var instances = services.GetRequiredService<ServiceInstanceStore>();
        foreach (var instance in new[] { Instance1, Instance2, Instance3 })
        {
            var expected = ServiceInstance.Fold(old.Where(r => r.StreamId == ServiceInstance.StreamId(instance)).OrderBy(r => r.Version).Select(r => r.Data));
            var (actual, version) = await instances.Load(instance);
            Assert.Equal(Json(expected), Json(actual));
            Assert.Equal(old.Count(r => r.StreamId == ServiceInstance.StreamId(instance) && LegacyEventStore.BindingOf(r.Data) is null), version);
        }
        var bindings = services.GetRequiredService<ServiceBindingStore>();
        foreach (var binding in new[] { Binding1, Binding2, Binding3 })
        {
            var expected = ServiceBinding.Fold(old.OrderBy(r => r.StreamId).ThenBy(r => r.Version)
                .Where(r => LegacyEventStore.BindingOf(r.Data) == binding).Select(r => r.Data));
            Assert.NotNull(expected);
            Assert.Equal(Json(expected), Json(await bindings.Load(binding)));
        }

        // Read models rebuilt: one last_operations row per instance, one binding_operations row per binding, and the
        // directory lists the instances that still exist.
        Assert.Equal(3, await Count("broker.last_operations"));
        Assert.Equal(3, await Count("broker.binding_operations"));
        Assert.Equal(2, await Count("broker.instance_directory"));

        // The bus forwarder goes on where it stopped; the inbox moved; the old tables are kept.
        Assert.Equal(byId[_forwarderCheckpoint].Sequence, await Scalar<long>("SELECT last_seq_id FROM broker.mt_event_progression WHERE name = 'bus-forwarder:All'"));
        Assert.Equal(all[^1].Sequence, await Scalar<long>("SELECT last_seq_id FROM broker.mt_event_progression WHERE name = 'HighWaterMark'"));
        Assert.Equal(2, await Count("broker.mt_doc_inbox"));
        Assert.Equal(old.Count, await Count("public.events"));

        // A second run copies nothing and says so.
        var again = await MigrateEventsCli.Run(_database.ConnectionString);
        log.WriteLine(again.Output);
        Assert.True(again.ExitCode == 0, $"exit {again.ExitCode}\n{again.Output}\n{again.Error}");
        Assert.Contains("nothing copied", again.Output);
        Assert.Contains("Read models rebuilt", again.Output);
        Assert.Equal(old.Count, await Count("broker.mt_events"));
        Assert.Equal(6, await Count("broker.mt_streams"));
    }

    [Fact]
    public async Task Refuses_when_Marten_already_holds_other_events_and_changes_nothing()
    {
        await WriteOldLog();
        await using (var services = MigrateEventsCli.Services(_database.ConnectionString))
        {
            var store = services.GetRequiredService<IDocumentStore>();
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            await using var session = store.LightweightSession();
            session.Events.StartStream(ServiceInstance.StreamId(Guid.NewGuid()), new ServiceInstanceContextUpdated(Guid.NewGuid(), "{}", DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }

        var (exitCode, output, error) = await MigrateEventsCli.Run(_database.ConnectionString);

        Assert.True(exitCode == 1, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains("already holds 1 events", error);
        Assert.Equal(1, await Count("broker.mt_events"));
    }

    [Fact]
    public async Task An_empty_old_store_needs_no_migration()
    {
        await using var services = MigrateEventsCli.Services(_database.ConnectionString);
        Assert.False(await services.GetRequiredService<LegacyEventStore>().NeedsMigration(CancellationToken.None));
        var report = await services.GetRequiredService<LegacyEventStore>().Migrate(TextWriter.Null, CancellationToken.None);
        Assert.Equal(EventMigrationOutcome.NothingToMigrate, report.Outcome);
        Assert.Contains("no events", report.Summary);
    }

    private Guid _forwarderCheckpoint;

    /// <summary>
    /// Three instances, interleaved: one provisioned, bound twice, updated, one binding deleted; one provisioned, bound,
    /// unbound and deprovisioned; one whose provisioning failed (an enum, stored as a number). Two appends of different
    /// streams commit with transaction ids in the opposite order of their positions.
    /// </summary>
    private async Task WriteOldLog()
    {
        var (s1, s2, s3) = (ServiceInstance.StreamId(Instance1), ServiceInstance.StreamId(Instance2), ServiceInstance.StreamId(Instance3));
        DateTimeOffset Now() => _old.Clock;
        EventMetadata Meta(string? origin = null, string? request = null, bool caused = false) =>
            new(Guid.NewGuid(), caused ? Guid.NewGuid() : null, origin, request);
        var (p1, p2, p3, u1, d2) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        const string platform = "cloudfoundry eyJ1c2VyX2lkIjoiYWRtaW4ifQ==";

        await _old.Append(s1, Meta(platform, "req-1"), new ServiceInstanceProvisioningRequested(Instance1, p1, "svc", "small", "org", "space",
            """{"max_connections":100}""", """{"platform":"cloudfoundry"}""", 1024, Now(), "1.0.0", Now().AddHours(1)));
        await _old.Append(s2, Meta(platform, "req-2"), new ServiceInstanceProvisioningRequested(Instance2, p2, "svc", "small", "org", "space2",
            null, null, 1024, Now()));
        await _old.Append(s1, Meta(caused: true), new StorageProvisioned(Instance1, p1, "/data/1", 1024, Now()));
        await _old.Append(s3, Meta(request: "req-3"), new ServiceInstanceProvisioningRequested(Instance3, p3, "svc", "large", "org", "space",
            null, null, 10240, Now()));
        await _old.Append(s1, Meta(caused: true), new ServerProvisioned(Instance1, p1, "127.0.0.1", 56001, Now()));
        await _old.Append(s2, Meta(caused: true), new StorageProvisioned(Instance2, p2, "/data/2", 1024, Now()),
            new ServerProvisioned(Instance2, p2, "127.0.0.1", 56002, Now()));

        // Two concurrent appends: B takes the lower positions, A the lower transaction id; the old order puts A first.
        await using (var a = await _database.DataSource.OpenConnectionAsync())
        await using (var b = await _database.DataSource.OpenConnectionAsync())
        {
            await using var txA = await a.BeginTransactionAsync();
            await using var txB = await b.BeginTransactionAsync();
            await using (var xid = new NpgsqlCommand("SELECT pg_current_xact_id()", a, txA)) await xid.ExecuteScalarAsync();
            await using (var xid = new NpgsqlCommand("SELECT pg_current_xact_id()", b, txB)) await xid.ExecuteScalarAsync();
            await _old.Append(b, txB, s2, Meta(caused: true), new DatabaseProvisioned(Instance2, p2, "db2", "admin2", "enc-2", Now()));
            await _old.Append(a, txA, s3, Meta(caused: true), new ResourceProvisioningFailed(Instance3, p3, ResourceKind.Server, "port taken", Now()));
            await txB.CommitAsync();
            await txA.CommitAsync();
        }

        await _old.Append(s1, Meta(caused: true), new DatabaseProvisioned(Instance1, p1, "db1", "admin1", "enc-1", Now()),
            new ServiceInstanceProvisioned(Instance1, p1, Now()));
        await _old.Append(s3, Meta(caused: true), new StorageDeprovisioned(Instance3, p3, Now()),
            new ServiceInstanceProvisioningFailed(Instance3, p3, "Server provisioning failed: port taken", Now()));
        await _old.Append(s2, Meta(caused: true), new ServiceInstanceProvisioned(Instance2, p2, Now()));
        var b1 = Guid.NewGuid();
        await _old.Append(s1, Meta(platform, "req-4"), new ServiceBindingRequested(Instance1, Binding1, b1, "app-1", null, null, null, Now()));
        var b3 = Guid.NewGuid();
        await _old.Append(s2, Meta(platform, "req-5"), new ServiceBindingRequested(Instance2, Binding3, b3, "app-3", """{"role":"ro"}""", null, null, Now(), Now().AddDays(1)));
        await _old.Append(s1, Meta(caused: true), new ServiceBindingCreated(Instance1, Binding1, b1, "user_b1", "enc-b1", Now()));
        _forwarderCheckpoint = (await _old.ReadAll())[^1].EventId;
        await _old.Append(s2, Meta(caused: true), new ServiceBindingCreated(Instance2, Binding3, b3, "user_b3", "enc-b3", Now()));
        await _old.Append(s1, Meta(platform, "req-6"), new ServiceInstanceUpdateRequested(Instance1, u1, "large", """{"max_connections":200}""", "1.0.1", 10240, Now()));
        await _old.Append(s1, Meta(caused: true), new ServerReconfigured(Instance1, u1, 10240, Now()));
        var b2 = Guid.NewGuid();
        await _old.Append(s1, Meta(platform, "req-7"), new ServiceBindingRequested(Instance1, Binding2, b2, "app-2", null, null, Binding1, Now()));
        await _old.Append(s1, Meta(caused: true), new ServiceInstanceUpdated(Instance1, u1, Now()));
        await _old.Append(s1, Meta(caused: true), new ServiceBindingCreated(Instance1, Binding2, b2, "user_b2", "enc-b2", Now()));
        var ub1 = Guid.NewGuid();
        await _old.Append(s1, Meta(platform, "req-8"), new ServiceBindingDeletionRequested(Instance1, Binding1, ub1, Now()));
        var ub3 = Guid.NewGuid();
        await _old.Append(s2, Meta(platform, "req-9"), new ServiceBindingDeletionRequested(Instance2, Binding3, ub3, Now()));
        await _old.Append(s1, Meta(caused: true), new ServiceBindingDeleted(Instance1, Binding1, ub1, Now()));
        await _old.Append(s2, Meta(caused: true), new ServiceBindingDeleted(Instance2, Binding3, ub3, Now()));
        await _old.Append(s2, Meta(platform, "req-10"), new ServiceInstanceDeprovisioningRequested(Instance2, d2, Now(), Now().AddHours(1)));
        await _old.Append(s2, Meta(caused: true), new DatabaseDeprovisioned(Instance2, d2, Now()), new ServerDeprovisioned(Instance2, d2, Now()),
            new StorageDeprovisioned(Instance2, d2, Now()), new ServiceInstanceDeprovisioned(Instance2, d2, Now()));

        // The old bus forwarder had published up to the first ServiceBindingCreated; the inbox had two messages.
        await using var batch = new NpgsqlBatch(await _database.DataSource.OpenConnectionAsync())
        {
            BatchCommands =
            {
                new("""
                    INSERT INTO subscription_checkpoints (name, transaction_id, position)
                    SELECT 'bus-forwarder', transaction_id, position FROM events WHERE event_id = $1
                    """) { Parameters = { new NpgsqlParameter { Value = _forwarderCheckpoint } } },
                new("INSERT INTO subscription_checkpoints (name, transaction_id, position) VALUES ('last-operations', '0', 0)"),
                new("INSERT INTO inbox (consumer, message_id) VALUES ('OutcomeRecorder', gen_random_uuid()), ('BindingSubProvisioner', gen_random_uuid())"),
            },
        };
        await batch.ExecuteNonQueryAsync();
        await batch.Connection!.DisposeAsync();
    }

    private async Task<IReadOnlyList<IEvent>> AllEvents()
    {
        await using var services = MigrateEventsCli.Services(_database.ConnectionString);
        await using var session = services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.Events.QueryAllRawEvents().OrderBy(e => e.Sequence).ToListAsync();
    }

    private static string Json(object? state) => JsonSerializer.Serialize(state, EventJson.Options);

    private Task<long> Count(string table) => Scalar<long>($"SELECT count(*) FROM {table}");

    private async Task<T> Scalar<T>(string sql)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
