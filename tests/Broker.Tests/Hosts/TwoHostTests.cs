using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Admin;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Hosts;

/// <summary>
/// Two worker nodes as two hosts in two AZs, each with its own data root and ports (the local backend: a server and its
/// disk live on one machine). Every step of an instance must run on the host its disk is on, whichever node's queue
/// the step reached first: before hosts had queues of their own, a server step taken by the other node found no disk.
/// </summary>
public sealed class TwoHostTests : IAsyncLifetime
{
    private const int InstanceCount = 10;
    private BrokerEnvironment _environment = null!;
    private BrokerProcess _nodeA = null!;
    private BrokerProcess _nodeB = null!;
    private readonly Dictionary<string, (string DataRoot, int FirstPort, int LastPort)> _hosts = new();

    public async Task InitializeAsync()
    {
        _environment = await BrokerEnvironment.Create();
        _nodeA = await BrokerProcess.Start(_environment, await Node("node-a", "z1", 0, "api,worker,projector"));
        _nodeB = await BrokerProcess.Start(_environment, await Node("node-b", "z2", 20, "worker"));
    }

    public async Task DisposeAsync()
    {
        await _nodeB.DisposeAsync();
        await _nodeA.DisposeAsync();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task TenInstances_EachRunsEveryStepOnItsOwnHost_AndLeavesNoProcessBehind()
    {
        await Eventually.True(async () => (await Hosts()).Count(h => (bool)h["live"]!) == 2, "both hosts registered and live",
            details: Output);

        var instances = Enumerable.Range(0, InstanceCount).Select(_ => Guid.NewGuid()).ToList();
        foreach (var response in await Task.WhenAll(instances.Select(id => _nodeA.Client.Provision(id))))
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        foreach (var id in instances)
        {
            var done = await _nodeA.Client.PollUntilDone(id, TimeSpan.FromSeconds(180), Output);
            Assert.True(done is (HttpStatusCode.OK, "succeeded", _), $"{id}: {done}\n{Output()}");
        }

        var placed = new Dictionary<string, int>();
        foreach (var id in instances)
        {
            var events = await _environment.InstanceEvents(id);
            var host = events.OfType<ServiceInstanceProvisioningRequested>().Single().Host!;
            Assert.True(_hosts.TryGetValue(host, out var own), $"{id} placed on unknown host '{host}'");
            var storage = events.OfType<StorageProvisioned>().Single();
            Assert.Equal(host, storage.Host);
            Assert.StartsWith(own.DataRoot + Path.DirectorySeparatorChar, storage.DataDirectory);
            var server = events.OfType<ServerProvisioned>().Single();
            Assert.InRange(server.Port, own.FirstPort, own.LastPort);
            Assert.Single(events.OfType<DatabaseProvisioned>());
            placed[host] = placed.GetValueOrDefault(host) + 1;
        }
        // The fewest-instances rule alternates between two equal hosts.
        Assert.Equal(new Dictionary<string, int> { ["node-a"] = InstanceCount / 2, ["node-b"] = InstanceCount / 2 }, placed);
        Assert.All(await Hosts(), h => Assert.Equal(InstanceCount / 2, (int)h["instances"]!));

        foreach (var response in await Task.WhenAll(instances.Select(id => _nodeA.Client.Deprovision(id))))
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        foreach (var id in instances)
        {
            var gone = await _nodeA.Client.PollUntilDone(id, TimeSpan.FromSeconds(180), Output);
            Assert.True(gone.Status == HttpStatusCode.Gone, $"{id}: {gone}\n{Output()}");
        }
        foreach (var (name, own) in _hosts)
        {
            Assert.DoesNotContain(Directory.EnumerateDirectories(own.DataRoot), d => Guid.TryParse(Path.GetFileName(d), out _));
            Assert.Empty(PostmastersUnder(own.DataRoot));
            foreach (var port in Enumerable.Range(own.FirstPort, own.LastPort - own.FirstPort + 1))
                Assert.False(await DedicatedServers.Answers(port), $"a server of {name} still answers on port {port}");
        }
    }

    private async Task<Dictionary<string, string>> Node(string name, string az, int portOffset, string roles)
    {
        var dataRoot = Path.Combine(_environment.DataRoot, name);
        Directory.CreateDirectory(dataRoot);
        if (Environment.UserName == "root") await Process.Start("chown", ["postgres:", dataRoot]).WaitForExitAsync();
        var (first, last) = (_environment.PortRangeStart + portOffset, _environment.PortRangeStart + portOffset + 19);
        _hosts[name] = (dataRoot, first, last);
        return new Dictionary<string, string>
        {
            ["Broker__Roles"] = roles,
            ["Provisioners__Host__Name"] = name,
            ["Provisioners__Host__Az"] = az,
            ["Provisioners__Local__DataRoot"] = dataRoot,
            ["Provisioners__Local__PortRangeStart"] = first.ToString(),
            ["Provisioners__Local__PortRangeEnd"] = last.ToString(),
        };
    }

    private async Task<List<JsonObject>> Hosts()
    {
        var response = await _nodeA.Client.GetAsync("/admin/hosts");
        var hosts = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        return hosts.Select(h => h!.AsObject()).ToList();
    }

    /// <summary>PostgreSQL server processes whose data directory lies below <paramref name="root"/>.</summary>
    private static List<int> PostmastersUnder(string root) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(p => int.TryParse(p, out _)).Select(int.Parse!)
            .Where(pid =>
            {
                try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(root + Path.DirectorySeparatorChar); }
                catch (IOException) { return false; }
                catch (UnauthorizedAccessException) { return false; }
            })
            .ToList();

    private string Output() => $"--- node-a\n{_nodeA.Output}\n--- node-b\n{_nodeB.Output}";
}
