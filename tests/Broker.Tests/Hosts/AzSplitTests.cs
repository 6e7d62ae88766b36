using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.DayTwo;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Hosts;

/// <summary>
/// Day-2 category 3, AZ split, on the local backend: two worker nodes as two hosts in two AZs (node-a in z1 with the
/// API, node-b in z2), each with its own data root and ports, a cloud config naming them. Parameter <c>azs</c> spreads
/// the primary and its replicas over the AZs: a replica in z2 is a real standby on node-b, copied by pg_basebackup over
/// TCP from the primary on node-a as <c>replicator</c> with a password, streaming; taking z2 out moves only that replica
/// back, the primary untouched. Kept in one fixture: the two nodes and the cloud config serve every test.
/// </summary>
[TestCaseOrderer("EventSourced.TestSupport.ByName", "EventSourced.TestSupport")]
public sealed class AzSplitTests(AzSplitFixture fixture) : IClassFixture<AzSplitFixture>
{
    private const int Rows = 200;
    private HttpClient Platform => fixture.NodeA.Client;
    private BrokerEnvironment Environment => fixture.Environment;

    [Fact]
    public async Task T1_SplitOverTwoAzs_TheReplicaStreamsFromNodeB_AndTakingZ2Out_MovesOnlyIt()
    {
        var id = await fixture.Provisioned(new { azs = new[] { "z1" } });
        await Environment.Execute(id, $"CREATE TABLE kept AS SELECT n FROM generate_series(1, {Rows}) n");
        var primary = (await State(id)).Server!;
        var primaryPid = fixture.PostmasterPid(fixture.Folder("node-a", id));

        var dryRun = await DryRun(id, new { instances = 2, azs = new[] { "z1", "z2" } });
        Assert.Contains("replicas/0 create (new in z2) [canary], in AZ z2 on host node-b", dryRun);
        Assert.Contains("postgres/0, in AZ z1 on host node-a", dryRun);

        await Updated(id, new { instances = 2, azs = new[] { "z1", "z2" } });

        var split = Assert.Single((await State(id)).Replicas);
        Assert.Equal("node-b", split.WorkerHost);
        Assert.InRange(split.Port, fixture.FirstPort("node-b"), fixture.FirstPort("node-b") + 19);
        Assert.True(File.Exists(Path.Combine(fixture.Folder("node-b", id), "replicas", "0", "pgdata", "PG_VERSION")), "no copy under node-b's data root");
        Assert.False(Directory.Exists(Path.Combine(fixture.Folder("node-a", id), "replicas", "0")), "a replica folder under node-a's data root");
        Assert.Equal("replicator 127.0.0.1 streaming", await OnPrimary<string>(id,
            "SELECT usename || ' ' || host(client_addr) || ' ' || state FROM pg_stat_replication"));
        await RowReachesReplica(id, split, -1);
        Assert.Equal((long)Rows + 1, await OnReplica<long>(id, split, "SELECT count(*) FROM kept"));
        // The replication password: in files only their owner reads, on each host; in no event, read model or log line.
        var (secret, passfile) = (Path.Combine(fixture.Folder("node-a", id), "replication.secret"),
            Path.Combine(fixture.Folder("node-b", id), "replicas", "0", "replication.pgpass"));
        if (!OperatingSystem.IsWindows())
            foreach (var file in new[] { secret, passfile })
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var password = File.ReadAllText(secret).Trim();
        Assert.EndsWith($":replicator:{password}", File.ReadAllText(passfile).Trim());
        Assert.Equal(0L, await Environment.CountOccurrences(password));
        Assert.DoesNotContain(password, fixture.Output());
        var credentials = await Bind(id);
        Assert.Equal([$"127.0.0.1:{split.Port}"], credentials["replicas"]!.AsArray().Select(r => $"{(string)r!["host"]!}:{(int)r["port"]!}"));

        await Updated(id, new { azs = new[] { "z1" } });

        var moved = Assert.Single((await State(id)).Replicas);
        Assert.Equal("node-a", moved.WorkerHost);
        Assert.InRange(moved.Port, fixture.FirstPort("node-a"), fixture.FirstPort("node-a") + 19);
        Assert.False(Directory.Exists(fixture.Folder("node-b", id)), "node-b still holds a folder of the instance");
        var after = await State(id);
        Assert.Equal((primary.Port, primaryPid), (after.Server!.Port, fixture.PostmasterPid(fixture.Folder("node-a", id))));
        var deploy = (await Environment.InstanceEvents(id)).OfType<DeploymentPlanned>().Last();
        Assert.StartsWith("replicas/0 recreate (moves from AZ z2 to z1", Assert.Single(deploy.Actions));
        Assert.Equal("replicator 127.0.0.1 streaming", await OnPrimary<string>(id,
            "SELECT usename || ' ' || host(client_addr) || ' ' || state FROM pg_stat_replication"));
        await RowReachesReplica(id, moved, -2);
        Assert.Equal((long)Rows + 2, await OnReplica<long>(id, moved, "SELECT count(*) FROM kept"));

        await fixture.Deprovisioned(id);
    }

    [Fact]
    public async Task T2_ProvisionedSplit_ThenNodeBKilledRightAfterThe202OfTheMove_TheMoveSucceedsOnceItIsBack()
    {
        var id = await fixture.Provisioned(new { instances = 2, azs = new[] { "z1", "z2" } });
        var split = Assert.Single((await State(id)).Replicas);
        Assert.Equal("node-b", split.WorkerHost);
        await Environment.Execute(id, $"CREATE TABLE kept AS SELECT n FROM generate_series(1, {Rows}) n");
        await RowReachesReplica(id, split, -1);

        await (await Patch(Platform, id, new { azs = new[] { "z1" } })).AcceptedOperation();
        await fixture.NodeB.Kill();
        await fixture.RestartNodeB();

        var done = await Platform.PollUntilDone(id, TimeSpan.FromSeconds(120), fixture.Output);
        Assert.True(done.State == "succeeded", $"{done}\n{fixture.Output()}");
        var moved = Assert.Single((await State(id)).Replicas);
        Assert.Equal("node-a", moved.WorkerHost);
        Assert.False(Directory.Exists(fixture.Folder("node-b", id)), "node-b still holds a folder of the instance");
        Assert.Equal(1L, await OnPrimary<long>(id, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"));
        await RowReachesReplica(id, moved, -2);
        Assert.Equal((long)Rows + 2, await OnReplica<long>(id, moved, "SELECT count(*) FROM kept"));

        await fixture.Deprovisioned(id);
    }

    [Fact]
    public async Task T3_HostileAzs_AreRefusedWith400AndNothingRecorded_AndOfTwoConcurrentPatches_OneIsAccepted()
    {
        var id = await fixture.Provisioned(new { azs = new[] { "z1" } });

        (object Parameters, string Named)[] hostile =
        [
            (new { instances = 2, azs = Array.Empty<string>() }, "at least one AZ"),
            (new { instances = 2, azs = "z2" }, "must be a non-empty list"),
            (new { instances = 2, azs = 2 }, "must be a non-empty list"),
            (new { instances = 2, azs = new { z1 = true } }, "must be a non-empty list"),
            (new { instances = 2, azs = new object[] { "z1", 7 } }, "azs[1] must be an AZ name"),
            (new { instances = 2, azs = new object[] { "z1", new[] { "z2" } } }, "azs[1] must be an AZ name"),
            (new { instances = 2, azs = new[] { "z1", "z1" } }, "'z1' 2 times"),
            (new { instances = 2, azs = new[] { "z1", "z9" } }, "'z9', which is not an AZ of cloud config version 1"),
            (new { instances = 2, azs = new[] { "z2" } }, "must include z1, the AZ of the primary's host node-a"),
            (new { azs = new[] { "z1", "z2" } }, "more than the instance's 1 server"),
        ];
        foreach (var (parameters, named) in hostile)
        {
            var refused = await Environment.Refused(Platform, client => Patch(client, id, parameters));
            var description = (string)(await refused.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]!;
            Assert.True(description.Contains(named), $"{System.Text.Json.JsonSerializer.Serialize(parameters)}: {description}");
        }
        var provision = await Environment.Refused(Platform, client => client.Provision(Guid.NewGuid(), ProvisionBody(parameters: new { azs = new[] { "z3" } })));
        await provision.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");

        var answers = await Task.WhenAll(new[] { new[] { "z1", "z2" }, new[] { "z1" } }
            .Select(azs => Patch(Platform, id, new { instances = 2, azs })));

        var accepted = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        Assert.All(answers.Where(a => a != accepted), a => Assert.Equal(HttpStatusCode.UnprocessableEntity, a.StatusCode));
        var done = await Platform.PollUntilDone(id, TimeSpan.FromSeconds(120), fixture.Output);
        Assert.True(done.State == "succeeded", $"{done}\n{fixture.Output()}");
        var asked = AzSpread.Of((await State(id)).Parameters)!;
        var replica = Assert.Single((await State(id)).Replicas);
        Assert.Equal(asked.Contains("z2") ? "node-b" : "node-a", replica.WorkerHost);

        await fixture.Deprovisioned(id);
    }

    private async Task<ServiceInstance> State(Guid id) => ServiceInstance.Fold(await Environment.InstanceEvents(id));

    private async Task RowReachesReplica(Guid id, ReplicaInfo replica, int row)
    {
        await Environment.Execute(id, $"INSERT INTO kept VALUES ({row})");
        await Eventually.True(async () =>
            {
                try { return await OnReplica<long>(id, replica, $"SELECT count(*) FROM kept WHERE n = {row}") == 1; }
                catch (NpgsqlException) { return false; }
            },
            $"row {row} written on the primary read on replica {replica.Index} on {replica.WorkerHost}", seconds: 30, details: fixture.Output);
    }

    /// <summary>As the postgres superuser over the primary's socket on node-a (pg_stat_replication's details are for privileged roles).</summary>
    private async Task<T> OnPrimary<T>(Guid id, string sql)
    {
        var socket = Path.Combine("/tmp/esb-sockets",
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fixture.Folder("node-a", id))))[..16]);
        await using var connection = new NpgsqlConnection($"Host={socket};Port={(await State(id)).Server!.Port};Username=postgres;Database=postgres;Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private async Task<T> OnReplica<T>(Guid id, ReplicaInfo replica, string sql)
    {
        var builder = new NpgsqlConnectionStringBuilder(await Environment.AdminConnectionString(id)) { Host = replica.Host, Port = replica.Port, Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private async Task<JsonObject> Bind(Guid id)
    {
        var response = await Platform.PutAsJsonAsync($"/v2/service_instances/{id}/service_bindings/{Guid.NewGuid()}",
            new { service_id = ServiceId, plan_id = SmallPlanId, app_guid = "app-guid", bind_resource = new { app_guid = "app-guid" } });
        return (await response.AssertStatus(HttpStatusCode.Created))["credentials"]!.AsObject();
    }

    private static Task<HttpResponseMessage> Patch(HttpClient client, Guid id, object parameters) =>
        client.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true", new { service_id = ServiceId, parameters });

    private async Task Updated(Guid id, object parameters)
    {
        await (await Patch(Platform, id, parameters)).AcceptedOperation();
        var done = await Platform.PollUntilDone(id, TimeSpan.FromSeconds(120), fixture.Output);
        Assert.True(done.State == "succeeded", $"{done}\n{fixture.Output()}");
    }

    private async Task<string> DryRun(Guid id, object parameters)
    {
        var node = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(parameters))!.AsObject();
        node["dry_run"] = true;
        var response = await Environment.Refused(Platform, client => Patch(client, id, node));
        return (string)(await response.AssertOsbError(HttpStatusCode.UnprocessableEntity, error: null))["description"]!;
    }
}

/// <summary>Two nodes (node-a: API and worker in z1; node-b: worker in z2), each with its data root and 20 ports, and the cloud config naming them.</summary>
public sealed class AzSplitFixture : IAsyncLifetime
{
    private readonly Dictionary<string, (string DataRoot, int FirstPort)> _hosts = new();
    private Dictionary<string, string> _nodeBSettings = null!;

    public BrokerEnvironment Environment { get; private set; } = null!;
    public BrokerProcess NodeA { get; private set; } = null!;
    public BrokerProcess NodeB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment = await BrokerEnvironment.Create();
        NodeA = await BrokerProcess.Start(Environment, await Node("node-a", "z1", 0, "api,worker,projector"));
        _nodeBSettings = await Node("node-b", "z2", 20, "worker");
        NodeB = await BrokerProcess.Start(Environment, _nodeBSettings);
        var cloud = $$"""
            azs:
            - {name: z1, hosts: [node-a]}
            - {name: z2, hosts: [node-b]}
            vm_types: []
            disk_types: []
            networks:
            - name: loopback
              subnets:
              - {azs: [z1], range: "127.0.0.1:{{FirstPort("node-a")}}-{{FirstPort("node-a") + 19}}"}
              - {azs: [z2], range: "127.0.0.1:{{FirstPort("node-b")}}-{{FirstPort("node-b") + 19}}"}

            """;
        var upload = await NodeA.OpsClient.PutAsync("/api/v1/cloud-config", new StringContent(cloud));
        Assert.True(upload.StatusCode == HttpStatusCode.OK, await upload.Content.ReadAsStringAsync());
        await Eventually.True(async () =>
            {
                var hosts = JsonNode.Parse(await (await NodeA.Client.GetAsync("/admin/hosts")).Content.ReadAsStringAsync())!.AsArray();
                return hosts.Count(h => (bool)h!["live"]!) == 2;
            },
            "both hosts registered and live", details: Output);
    }

    public async Task DisposeAsync()
    {
        await NodeB.DisposeAsync();
        await NodeA.DisposeAsync();
        await Environment.DisposeAsync();
    }

    public async Task RestartNodeB()
    {
        await NodeB.DisposeAsync();
        NodeB = await BrokerProcess.Start(Environment, _nodeBSettings);
    }

    public string Folder(string host, Guid id) => Path.Combine(_hosts[host].DataRoot, id.ToString("D"));

    public int FirstPort(string host) => _hosts[host].FirstPort;

    public int PostmasterPid(string folder) => int.Parse(File.ReadLines(Path.Combine(folder, "pgdata", "postmaster.pid")).First());

    /// <summary>A new instance on node-a (the parameters name z1 or a spread holding it), provisioned.</summary>
    public async Task<Guid> Provisioned(object parameters)
    {
        var id = Guid.NewGuid();
        var response = await NodeA.Client.Provision(id, ProvisionBody(parameters: parameters));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var done = await NodeA.Client.PollUntilDone(id, TimeSpan.FromSeconds(120), Output);
        Assert.True(done.State == "succeeded", $"{done}\n{Output()}");
        Assert.Equal("node-a", ServiceInstance.Fold(await Environment.InstanceEvents(id)).Host);
        return id;
    }

    /// <summary>Deprovisioned, leaving no folder and no postmaster of the instance under either data root.</summary>
    public async Task Deprovisioned(Guid id)
    {
        var pids = _hosts.Keys.SelectMany(host => new[] { Folder(host, id) }
                .Concat(Directory.Exists(Path.Combine(Folder(host, id), "replicas")) ? Directory.GetDirectories(Path.Combine(Folder(host, id), "replicas")) : []))
            .Where(folder => File.Exists(Path.Combine(folder, "pgdata", "postmaster.pid"))).Select(PostmasterPid).ToList();
        Assert.Equal(HttpStatusCode.Accepted, (await NodeA.Client.Deprovision(id)).StatusCode);
        var gone = await NodeA.Client.PollUntilDone(id, TimeSpan.FromSeconds(120), Output);
        Assert.True(gone.Status == HttpStatusCode.Gone, $"{gone}\n{Output()}");
        Assert.All(_hosts.Keys, host => Assert.False(Directory.Exists(Folder(host, id)), $"{Folder(host, id)} is still there"));
        Assert.All(pids, pid => Assert.True(Admin.DedicatedServers.IsGone(pid), $"postmaster {pid} is still running"));
    }

    public string Output() => $"--- node-a\n{NodeA.Output}\n--- node-b\n{NodeB.Output}";

    private async Task<Dictionary<string, string>> Node(string name, string az, int portOffset, string roles)
    {
        var dataRoot = Path.Combine(Environment.DataRoot, name);
        Directory.CreateDirectory(dataRoot);
        if (System.Environment.UserName == "root") await Process.Start("chown", ["postgres:", dataRoot]).WaitForExitAsync();
        _hosts[name] = (dataRoot, Environment.PortRangeStart + portOffset);
        return new Dictionary<string, string>
        {
            ["Broker__Roles"] = roles,
            ["Provisioners__Host__Name"] = name,
            ["Provisioners__Host__Az"] = az,
            ["Provisioners__Local__DataRoot"] = dataRoot,
            ["Provisioners__Local__PortRangeStart"] = (Environment.PortRangeStart + portOffset).ToString(),
            ["Provisioners__Local__PortRangeEnd"] = (Environment.PortRangeStart + portOffset + 19).ToString(),
        };
    }
}
