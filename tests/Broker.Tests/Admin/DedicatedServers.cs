using EventSourced.TestSupport;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Admin;

/// <summary>What the resurrector and drift tests do to a deployment's dedicated servers from outside the broker.</summary>
internal static class DedicatedServers
{
    public static async Task<Guid> ProvisionOne(BrokerProcess broker)
    {
        var instanceId = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(instanceId)).StatusCode);
        var done = await broker.Client.PollUntilDone(instanceId);
        Assert.True(done is (HttpStatusCode.OK, "succeeded", _), $"{done}\n{broker.Output}");
        return instanceId;
    }

    public static async Task Deprovision(BrokerProcess broker, Guid instanceId)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Deprovision(instanceId)).StatusCode);
        var gone = await broker.Client.PollUntilDone(instanceId);
        Assert.True(gone.Status == HttpStatusCode.Gone, $"{gone}\n{broker.Output}");
    }

    /// <summary>The port the log gave the instance's server.</summary>
    public static async Task<int> PortOf(BrokerEnvironment environment, Guid instanceId) =>
        ServiceInstance.Fold(await environment.InstanceEvents(instanceId)).Server!.Port;

    public static string InstancePath(BrokerEnvironment environment, Guid instanceId) => Path.Combine(environment.DataRoot, instanceId.ToString("D"));

    /// <summary>The postmaster's PID, from postmaster.pid in its data directory.</summary>
    public static int PostmasterPid(BrokerEnvironment environment, Guid instanceId) =>
        int.Parse(File.ReadLines(Path.Combine(InstancePath(environment, instanceId), "pgdata", "postmaster.pid")).First());

    /// <summary>SIGKILL of the postmaster (no shutdown), and waits until it is no longer a running process (a zombie counts as gone).</summary>
    public static async Task KillPostmaster(BrokerEnvironment environment, Guid instanceId)
    {
        var pid = PostmasterPid(environment, instanceId);
        using (var process = Process.GetProcessById(pid)) process.Kill();
        await Until(() => Task.FromResult(IsGone(pid)), $"postmaster {pid} gone after SIGKILL");
    }

    public static bool IsGone(int pid)
    {
        var status = $"/proc/{pid}/status";
        try
        {
            return !File.Exists(status) || File.ReadLines(status).Any(line => line.StartsWith("State:") && line.Contains("zombie"));
        }
        catch (IOException)
        {
            return true;
        }
    }

    public static Task<bool> Answers(int port) => LoopbackPort.Accepts(port);

    /// <summary>Whether any port of the environment's range answers: a dedicated server of it still runs.</summary>
    public static async Task<bool> AnyAnswers(BrokerEnvironment environment)
    {
        foreach (var port in Enumerable.Range(environment.PortRangeStart, 40))
            if (await Answers(port)) return true;
        return false;
    }

    /// <summary>
    /// The local backend's port allocation lock, held as another process sharing the data root would: a server step
    /// waits for it (holding its instance's lock, so a removal of that instance's server waits too).
    /// </summary>
    public static FileStream HoldPortAllocationLock(BrokerEnvironment environment) =>
        new(Path.Combine(environment.DataRoot, ".ports.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

    public static async Task<JsonArray> DriftOf(BrokerProcess broker, Guid? instanceId = null)
    {
        var response = await broker.Client.GetAsync("/admin/drift");
        var report = await response.AssertStatus(HttpStatusCode.OK);
        var drifts = report["drifts"]!.AsArray();
        return instanceId is { } id
            ? new JsonArray(drifts.Where(d => (string?)d!["instanceId"] == id.ToString()).Select(d => d!.DeepClone()).ToArray())
            : drifts;
    }

    public static IReadOnlyList<string?> Kinds(JsonArray drifts) => drifts.Select(d => (string?)d!["kind"]).Order().ToList();

    /// <summary>Polls until <paramref name="condition"/> holds; fails after <paramref name="seconds"/>.</summary>
    public static async Task Until(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {seconds} s: {what}");
            await Task.Delay(100);
        }
    }
}
