using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static EventSourced.Broker.Tests.Admin.DedicatedServers;

namespace EventSourced.Broker.Tests.Admin;

/// <summary>One deployment on the local backend, its resurrector off (a dead server stays dead) and drift checked every second.</summary>
public sealed class DriftFixture : IAsyncLifetime
{
    public BrokerEnvironment Environment { get; private set; } = null!;
    public BrokerProcess Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Local__Resurrector__Enabled"] = "false",
            ["Provisioners__Local__Reconciler__Interval"] = "00:00:01",
        });
        Broker = await BrokerProcess.Start(Environment);
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Environment.DisposeAsync();
    }
}

/// <summary>
/// Each kind of drift made for real behind the broker's back, reported by <c>GET /admin/drift</c> and by a warning in
/// the broker's log; nothing is deleted or started because of it.
/// </summary>
public sealed class DriftTests(DriftFixture fixture) : IClassFixture<DriftFixture>
{
    private BrokerEnvironment Environment => fixture.Environment;
    private BrokerProcess Broker => fixture.Broker;

    [Fact]
    public async Task AClusterNoInstanceInTheLogOwns_IsReportedAsLeaked_DataDirectoryAndRunningServer_AndKept()
    {
        var stranger = Guid.NewGuid();
        var options = Options.Create(new LocalBackendOptions
        {
            DataRoot = Environment.DataRoot, PortRangeStart = Environment.PortRangeStart, PortRangeEnd = Environment.PortRangeStart + 39,
        });
        await new LocalStorageBackend(options, TimeProvider.System).Provision(stranger, 1024, CancellationToken.None);
        var endpoint = await new LocalServerBackend(options, NullLogger<LocalServerBackend>.Instance)
            .Provision(stranger, new Dictionary<string, string>(), CancellationToken.None);

        var drifts = await DriftOf(Broker, stranger);

        Assert.Equal(["LeakedDataDirectory", "LeakedServer"], Kinds(drifts));
        Assert.All(drifts, d => Assert.Contains(InstancePath(Environment, stranger), (string?)d!["description"]));
        await ExpectWarning("LeakedDataDirectory", stranger);
        Assert.True(await Answers(endpoint.Port), "report only: the leaked server still runs");
        Assert.True(Directory.Exists(InstancePath(Environment, stranger)), "report only: the leaked directory is kept");
    }

    [Fact]
    public async Task APostmasterStillRunningInARemovedFolder_IsReportedAsALeakedServer()
    {
        var stranger = Guid.NewGuid();
        var options = Options.Create(new LocalBackendOptions
        {
            DataRoot = Environment.DataRoot, PortRangeStart = Environment.PortRangeStart, PortRangeEnd = Environment.PortRangeStart + 39,
        });
        await new LocalStorageBackend(options, TimeProvider.System).Provision(stranger, 1024, CancellationToken.None);
        var endpoint = await new LocalServerBackend(options, NullLogger<LocalServerBackend>.Instance)
            .Provision(stranger, new Dictionary<string, string>(), CancellationToken.None);
        var pid = PostmasterPid(Environment, stranger);
        Directory.Delete(InstancePath(Environment, stranger), recursive: true);
        try
        {
            var drifts = await DriftOf(Broker, stranger);

            Assert.Equal(["LeakedServer"], Kinds(drifts));
            Assert.Contains($"postmaster {pid} still runs in {InstancePath(Environment, stranger)}", (string?)drifts[0]!["description"]);
            await ExpectWarning("LeakedServer", stranger);
            Assert.True(await Answers(endpoint.Port), "report only: the leaked server still runs");
        }
        finally
        {
            // Nothing else would ever stop it: its folder, which the environment cleans up, is gone. SIGINT: fast shutdown.
            using (var stop = System.Diagnostics.Process.Start("kill", ["-INT", pid.ToString()])) await stop.WaitForExitAsync();
            await Until(() => Task.FromResult(IsGone(pid)), $"postmaster {pid} stopped");
        }
    }

    [Fact]
    public async Task AServerTheLogSaysRuns_KilledBehindTheBrokersBack_IsReportedAsMissing()
    {
        var instanceId = await ProvisionOne(Broker);
        await KillPostmaster(Environment, instanceId);

        var drifts = await DriftOf(Broker, instanceId);

        Assert.Equal(["MissingServer"], Kinds(drifts));
        Assert.Contains($"port {await PortOf(Environment, instanceId)}", (string?)drifts[0]!["description"]);
        await ExpectWarning("MissingServer", instanceId);
    }

    [Fact]
    public async Task ADataDirectoryRemovedBehindTheBrokersBack_IsReportedAsMissing()
    {
        var instanceId = await ProvisionOne(Broker);
        await KillPostmaster(Environment, instanceId);
        await Until(() => Task.FromResult(TryDelete(InstancePath(Environment, instanceId))), "the instance's folder deleted");

        var drifts = await DriftOf(Broker, instanceId);

        Assert.Equal(["MissingDataDirectory", "MissingServer"], Kinds(drifts));
        await ExpectWarning("MissingDataDirectory", instanceId);
    }

    [Fact]
    public async Task APortTheBackendRecordedDifferentlyFromTheLog_IsReportedAsAMismatch()
    {
        var instanceId = await ProvisionOne(Broker);
        var port = await PortOf(Environment, instanceId);
        var record = Path.Combine(InstancePath(Environment, instanceId), "server.json");
        var json = JsonNode.Parse(await File.ReadAllTextAsync(record))!;
        json["port"] = port + 1000;
        await File.WriteAllTextAsync(record, json.ToJsonString());

        var drifts = await DriftOf(Broker, instanceId);

        Assert.Equal(["PortMismatch"], Kinds(drifts));
        Assert.Contains($"{port + 1000}", (string?)drifts[0]!["description"]);
        await ExpectWarning("PortMismatch", instanceId);
        Assert.True(await Answers(port), "report only: the server keeps running where it ran");
    }

    private Task ExpectWarning(string kind, Guid instanceId) =>
        Until(() => Task.FromResult(Broker.Output.Contains($"Drift {kind} of instance {instanceId}")),
            $"a warning 'Drift {kind} of instance {instanceId}' in the broker's log\n{Broker.Output}");

    private static bool TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}

/// <summary>After a clean provision and a clean deprovision the backend and the log agree; folders not named as instance ids are not the broker's.</summary>
public sealed class NoDriftTests
{
    [Fact]
    public async Task CleanProvisionAndDeprovision_ReportNoDrift_AndOtherFoldersInTheDataRootAreIgnored()
    {
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Local__Reconciler__Interval"] = "00:00:01",
        });
        // A test fixture's own data root, as test runs leave beside the broker's instances: not an instance id.
        Directory.CreateDirectory(Path.Combine(environment.DataRoot, "t-1a2b3c4d", "pgdata"));
        await using var broker = await BrokerProcess.Start(environment);

        var instanceId = await ProvisionOne(broker);
        var provisioned = await (await broker.Client.GetAsync("/admin/drift")).AssertStatus(System.Net.HttpStatusCode.OK);
        Assert.Empty(provisioned["drifts"]!.AsArray());
        Assert.Equal(1, (int)provisioned["instancesCompared"]!);

        await Deprovision(broker, instanceId);
        Assert.Empty(await DriftOf(broker));
        Assert.DoesNotContain("Drift ", broker.Output);
    }
}
