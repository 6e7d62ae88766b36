using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Admin;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.TestSupport;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.DayTwo;

/// <summary>
/// Day-2 category 2, instance count, through OSB on the local backend: parameter <c>instances</c> (1 to the plan's
/// <c>max_instances</c>, 3 here) runs <c>instances - 1</c> streaming replicas of the primary, real PostgreSQL servers
/// made by pg_basebackup: rows written on the primary are read on them, bindings get them read-only, scaling down
/// removes replicas (processes and data directories) and never the primary, deprovisioning leaves no process, and the
/// resurrector starts a killed replica again.
/// </summary>
[TestCaseOrderer("EventSourced.TestSupport.ByName", "EventSourced.TestSupport")]
public sealed class ReplicaTests(ServiceConfigurationFixture fixture) : IClassFixture<ServiceConfigurationFixture>
{
    private const int Rows = 300;
    private BrokerEnvironment Environment => fixture.Environment;
    private BrokerProcess? _broker;
    private HttpClient Platform => _broker!.Client;
    private string Output => _broker?.Output ?? "";

    [Fact]
    public async Task T1_ABrokerKilledRightAfterThe202OfAScaleUp_LeavesTheNextOneToMakeExactlyTheReplicasAskedFor_AndDeprovisioningStopsThemAll()
    {
        // No other broker runs yet: the one killed is the only worker until the next one starts.
        var id = Guid.NewGuid();
        await using (var doomed = await BrokerProcess.Start(Environment))
        {
            _broker = doomed;
            await Provisioned(id, null);
            await Environment.Execute(id, $"CREATE TABLE kept AS SELECT n FROM generate_series(1, {Rows}) n");
            await (await Patch(id, new { instances = 3 })).AcceptedOperation();
            await doomed.Kill();
        }
        _broker = await fixture.Broker();

        var done = await Platform.PollUntilDone(id);

        Assert.True(done.State == "succeeded", $"{done}\n{Output}");
        var state = await State(id);
        Assert.Equal(new[] { 0, 1 }, state.Replicas.Select(r => r.Index));
        Assert.Equal(2, (await Environment.InstanceEvents(id)).OfType<ReplicaAdded>().Select(e => e.Index).Distinct().Count());
        // One server per replica: the folders on disk are the recorded ones, each on its own recorded port.
        Assert.Equal(state.Replicas.Select(r => r.Port).Order(), ReplicaFolders(id).Select(f => RecordedPort(f)).Order());
        Assert.Equal(2L, await Superuser<long>(id, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"));
        var pids = ReplicaFolders(id).Select(PostmasterPid).Append(DedicatedServers.PostmasterPid(Environment, id)).ToList();

        Assert.Equal(HttpStatusCode.Accepted, (await Platform.Deprovision(id)).StatusCode);
        var gone = await Platform.PollUntilDone(id);
        Assert.True(gone.Status == HttpStatusCode.Gone || gone.State == "succeeded", $"{gone}\n{Output}");
        Assert.All(pids, pid => Assert.True(DedicatedServers.IsGone(pid), $"postmaster {pid} is still running"));
    }

    [Fact]
    public async Task T2_ScaledToThree_TwoStandbysStream_RowsReachThem_BindingsReadThem_AndScalingBackRemovesOnlyThem()
    {
        _broker = await fixture.Broker();
        var id = await Provisioned(Guid.NewGuid(), null);
        await Environment.Execute(id, $"CREATE TABLE kept AS SELECT n FROM generate_series(1, {Rows}) n");
        var primaryPid = DedicatedServers.PostmasterPid(Environment, id);
        var dryRun = await DryRun(id, new { instances = 3 });
        Assert.Contains("replicas/0 create", dryRun);
        Assert.Contains("replicas/1 create", dryRun);

        await Updated(id, new { instances = 3 });

        var replicas = (await State(id)).Replicas;
        Assert.Equal(2, replicas.Count);
        Assert.Equal(2L, await Superuser<long>(id, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"));
        await Environment.Execute(id, "INSERT INTO kept VALUES (-1)");
        foreach (var replica in replicas)
            await Eventually.True(async () => await OnReplica<long>(id, replica, "SELECT count(*) FROM kept WHERE n = -1") == 1,
                $"the row written on the primary read on replica {replica.Index}", seconds: 30);
        Assert.Equal((long)Rows + 1, await OnReplica<long>(id, replicas[1], "SELECT count(*) FROM kept"));

        var credentials = await Bind(id);
        Assert.Equal(replicas.Select(r => $"{r.Host}:{r.Port}"),
            credentials["replicas"]!.AsArray().Select(r => $"{(string)r!["host"]!}:{(int)r["port"]!}"));
        var readOnlyUri = (string)credentials["readOnlyUri"]!;
        Assert.Equal("t|on", await Psql(readOnlyUri, "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')"));
        Assert.Equal($"{Rows + 1}", await Psql(readOnlyUri, "SELECT count(*) FROM kept"));
        Assert.Equal("f", await Psql((string)credentials["uri"]!, "SELECT pg_is_in_recovery()"));

        // A replica's postmaster killed on an idle instance: the resurrector starts it again on its port, and it streams on.
        var killed = PostmasterPid(ReplicaFolders(id)[0]);
        using (var victim = Process.GetProcessById(killed)) victim.Kill();
        await Eventually.True(async () => (await Environment.InstanceEvents(id)).OfType<ReplicaResurrected>().Any(r => r.Index == 0 && r.Port == replicas[0].Port),
            "replica 0 started again by the resurrector", seconds: 60, details: () => Output);
        await Environment.Execute(id, "INSERT INTO kept VALUES (-2)");
        await Eventually.True(async () => await Answers(id, replicas[0], "SELECT count(*) FROM kept WHERE n = -2"), "the resurrected replica streams again", seconds: 30);

        var replicaPids = ReplicaFolders(id).Select(PostmasterPid).ToList();
        var folders = ReplicaFolders(id);
        await Updated(id, new { instances = 1 });

        Assert.Empty((await State(id)).Replicas);
        Assert.All(replicaPids, pid => Assert.True(DedicatedServers.IsGone(pid), $"replica postmaster {pid} is still running"));
        Assert.All(folders, folder => Assert.False(Directory.Exists(folder), $"{folder} is still there"));
        Assert.Equal(primaryPid, DedicatedServers.PostmasterPid(Environment, id));
        Assert.Equal(0L, await Superuser<long>(id, "SELECT count(*) FROM pg_replication_slots"));
        Assert.Equal((long)Rows + 2, await Environment.Scalar<long>(id, "SELECT count(*) FROM kept"));
        Assert.Equal(2, (await Environment.InstanceEvents(id)).OfType<ReplicaRemoved>().Count());
    }

    [Fact]
    public async Task T3_HostileCounts_AreRefusedWith400_AndConcurrentScalings_OneIsAccepted()
    {
        _broker = await fixture.Broker();
        var id = await Provisioned(Guid.NewGuid(), new { instances = 2 });
        Assert.Single((await State(id)).Replicas);
        Assert.Equal(1L, await Superuser<long>(id, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"));

        object?[] hostile = [0, -1, 4, 1000, "3", 2.5, null, true, new[] { 2 }];
        foreach (var count in hostile)
        {
            var parameters = new JsonObject { ["instances"] = count is null ? null : JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(count)) };
            var refused = await Environment.Refused(Platform, client => Patch(client, id, parameters));
            var error = await refused.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
            Assert.Contains("instances", (string)error["description"]!);
        }
        var tooMany = await Environment.Refused(Platform, client => Patch(client, id, new { instances = 1000 }));
        Assert.Contains("max_instances", (string)(await tooMany.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]!);
        var provision = await Environment.Refused(Platform, client => client.Provision(Guid.NewGuid(), ProvisionBody(parameters: new { instances = 4 })));
        await provision.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");

        var answers = await Task.WhenAll(new[] { 3, 1 }.Select(count => Patch(id, new { instances = count })));

        var accepted = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        Assert.All(answers.Where(a => a != accepted), a => Assert.Equal(HttpStatusCode.UnprocessableEntity, a.StatusCode));
        var done = await Platform.PollUntilDone(id);
        Assert.True(done.State == "succeeded", $"{done}\n{Output}");
        var asked = InstanceCount.Of(ServiceInstance.Fold(await Environment.InstanceEvents(id)).Parameters);
        Assert.Equal(asked - 1, (await State(id)).Replicas.Count);
        Assert.Equal(asked - 1, ReplicaFolders(id).Count);
        Assert.Equal((long)asked - 1, await Superuser<long>(id, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"));
    }

    private async Task<ServiceInstance> State(Guid id) => ServiceInstance.Fold(await Environment.InstanceEvents(id));

    private List<string> ReplicaFolders(Guid id)
    {
        var root = Path.Combine(DedicatedServers.InstancePath(Environment, id), "replicas");
        return Directory.Exists(root) ? Directory.EnumerateDirectories(root).Order().ToList() : [];
    }

    private static int RecordedPort(string folder) =>
        (int)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "server.json")))!["port"]!;

    private static int PostmasterPid(string folder) => int.Parse(File.ReadLines(Path.Combine(folder, "pgdata", "postmaster.pid")).First());

    /// <summary>As the postgres superuser over the primary's socket (pg_stat_replication's state is for privileged roles).</summary>
    private async Task<T> Superuser<T>(Guid id, string sql)
    {
        var path = DedicatedServers.InstancePath(Environment, id);
        var socket = Path.Combine(InstanceSocketRoot, Convert.ToHexStringLower(
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(path)))[..16]);
        await using var connection = new NpgsqlConnection($"Host={socket};Port={(await State(id)).Server!.Port};Username=postgres;Database=postgres;Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private const string InstanceSocketRoot = "/tmp/esb-sockets";

    private async Task<T> OnReplica<T>(Guid id, ReplicaInfo replica, string sql)
    {
        var builder = new NpgsqlConnectionStringBuilder(await Environment.AdminConnectionString(id)) { Host = replica.Host, Port = replica.Port };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private async Task<bool> Answers(Guid id, ReplicaInfo replica, string sql)
    {
        try { return await OnReplica<long>(id, replica, sql) == 1; }
        catch (NpgsqlException) { return false; }
    }

    /// <summary>psql with a binding's URI as an app's libpq would use it: the URI itself is what is proven.</summary>
    private static async Task<string> Psql(string uri, string sql)
    {
        var psql = Path.Combine(new LocalBackendOptions().PostgresBinDirectory, "psql");
        using var process = Process.Start(new ProcessStartInfo(psql, ["-X", "-A", "-t", "-c", sql, uri])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var (output, error) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"psql failed: {await error}");
        return (await output).Trim();
    }

    private async Task<JsonObject> Bind(Guid id)
    {
        var response = await Platform.PutAsJsonAsync($"/v2/service_instances/{id}/service_bindings/{Guid.NewGuid()}",
            new { service_id = ServiceId, plan_id = SmallPlanId, app_guid = "app-guid", bind_resource = new { app_guid = "app-guid" } });
        return (await response.AssertStatus(HttpStatusCode.Created))["credentials"]!.AsObject();
    }

    private Task<HttpResponseMessage> Patch(Guid id, object parameters) => Patch(Platform, id, parameters);

    private static Task<HttpResponseMessage> Patch(HttpClient client, Guid id, object parameters) =>
        client.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true", new { service_id = ServiceId, parameters });

    private async Task<Guid> Provisioned(Guid id, object? parameters)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await Platform.Provision(id, ProvisionBody(parameters: parameters))).StatusCode);
        var done = await Platform.PollUntilDone(id);
        Assert.True(done.State == "succeeded", $"{done}\n{Output}");
        return id;
    }

    private async Task Updated(Guid id, object parameters)
    {
        await (await Patch(id, parameters)).AcceptedOperation();
        var done = await Platform.PollUntilDone(id);
        Assert.True(done.State == "succeeded", $"{done}\n{Output}");
    }

    private async Task<string> DryRun(Guid id, object parameters)
    {
        var node = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(parameters))!.AsObject();
        node["dry_run"] = true;
        var response = await Environment.Refused(Platform, client => Patch(client, id, node));
        return (string)(await response.AssertOsbError(HttpStatusCode.UnprocessableEntity, error: null))["description"]!;
    }
}
