using System.Diagnostics;
using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;
using Xunit.Abstractions;

namespace EventSourced.Broker.Tests.ScaleOut;

/// <summary>
/// The deployment split by role as an operator scales it out: 2 api, 2 worker and 2 projector processes on one
/// PostgreSQL database and one RabbitMQ virtual host, simulated backend shared in PostgreSQL. 300 provisionings are
/// spread over both APIs (32 in flight); once a third is accepted, the leading worker and projector (whose daemons hold
/// Marten's HotCold locks) are SIGKILLed and stay dead, so the surviving one of each role must finish everything alone
/// (the killed worker's unacknowledged messages come back from RabbitMQ, its daemon's shards are taken over by
/// HotCold). Every provisioning ends succeeded on both APIs, last_operation never goes back nor forgets an accepted
/// instance on either, and the event log shows each ran once.
/// </summary>
public sealed class ScaleOutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Provisions = 300;
    private const int InFlight = 32;
    private const int KillAfterAccepted = Provisions / 3;
    private static readonly TimeSpan RunBound = TimeSpan.FromSeconds(300);

    private BrokerEnvironment _environment = null!;
    private readonly List<BrokerProcess> _processes = [];

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create(new Dictionary<string, string>
    {
        ["Provisioners__Backend"] = "simulated",
        // One simulated IaaS for both workers, as one real IaaS would be (in memory, each worker had its own).
        ["Provisioners__Simulated__Shared"] = "true",
        ["Logging__LogLevel__Default"] = "Warning",
    });

    public async Task DisposeAsync()
    {
        foreach (var process in _processes) await process.DisposeAsync();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task TwoOfEachRole_OneWorkerAndOneProjectorKilledMidRun_AllSucceedOnceAndLastOperationNeverGoesBack()
    {
        var clock = Stopwatch.StartNew();
        var started = await Task.WhenAll(
            Start("api", 0), Start("api", 1), Start("worker", 0), Start("worker", 1), Start("projector", 0), Start("projector", 1));
        var (apis, workers, projectors) = (started[..2], started[2..4], started[4..]);
        output.WriteLine($"6 processes ready after {clock.Elapsed.TotalSeconds:F1} s");

        var run = Stopwatch.StartNew();
        var deadline = DateTimeOffset.UtcNow + RunBound;
        var clients = apis.Select(api => api.Client).ToList();
        var instances = Enumerable.Range(0, Provisions).Select(_ => Guid.NewGuid()).ToArray();
        var accepted = 0;
        var killTime = TimeSpan.Zero;
        var thirdAccepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var kills = Task.Run(async () =>
        {
            await thirdAccepted.Task;
            killTime = run.Elapsed;
            // The one of each role whose daemon leads (holds Marten's HotCold advisory locks), when one is seen to: its
            // shards must be taken over, not merely kept by the other.
            var locks = await AdvisoryLocksByProcess();
            var (worker, projector) = (Leader("worker", locks), Leader("projector", locks));
            await Task.WhenAll(workers[worker].Kill(), projectors[projector].Kill());
            output.WriteLine($"worker-{worker} (pid {workers[worker].ProcessId}) and projector-{projector} (pid {projectors[projector].ProcessId}) " +
                             $"SIGKILLed at {killTime.TotalSeconds:F1} s; advisory locks held then: " +
                             string.Join(", ", locks.Select(l => $"{l.Key} {l.Value}")));
        });
        var faults = new List<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Provisions), new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (i, _) =>
        {
            var instanceId = instances[i];
            var response = await clients[i % 2].Provision(instanceId);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                var refusal = $"instance {instanceId}: api {i % 2} answered the provisioning {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                lock (faults) faults.Add(refusal);
                return;
            }
            if (Interlocked.Increment(ref accepted) == KillAfterAccepted) thirdAccepted.SetResult();
            var watch = new LastOperationWatch(instanceId, i % 2 == 0 ? clients : [clients[1], clients[0]]);
            await watch.Run(deadline);
            lock (faults) faults.AddRange(watch.Faults);
        });
        await kills;
        var provisioned = run.Elapsed;
        Assert.True(faults.Count == 0, $"{faults.Count} faults:\n{string.Join("\n", faults.Take(30))}\n{Tails(started)}");

        var perInstance = await EventLogCounts.ProvisionedPerInstance(_environment);
        var notOnce = instances.Where(id => perInstance.GetValueOrDefault(id) != 1)
            .Select(id => $"{id}: {perInstance.GetValueOrDefault(id)} × ServiceInstanceProvisioned").ToList();
        Assert.True(notOnce.Count == 0, $"not provisioned exactly once:\n{string.Join("\n", notOnce.Take(30))}");
        Assert.Equal(Provisions, perInstance.Count);
        var perType = await EventLogCounts.PerType(_environment);
        foreach (var step in new[] { nameof(StorageProvisioned), nameof(ServerProvisioned), nameof(DatabaseProvisioned), nameof(ServiceInstanceProvisioned) })
            Assert.True(perType.GetValueOrDefault(step) == (Provisions, Provisions),
                $"{step}: {perType.GetValueOrDefault(step)} (events, instance operations); {Provisions} of each expected");
        var twice = await EventLogCounts.RecordedTwice(_environment);
        Assert.True(twice.Count == 0, $"recorded twice in one operation:\n{string.Join("\n", twice.Take(30))}");
        // The surviving projector carries the async read models on: the directory lists every instance.
        await Eventually.Until(() => DirectoryRows(), rows => rows == Provisions, "every instance in the instance directory",
            seconds: 60, details: () => Tails(projectors));

        output.WriteLine($"{Provisions} provisionings over 2 APIs, {InFlight} in flight: all succeeded after {provisioned.TotalSeconds:F1} s " +
                         $"(kills at {killTime.TotalSeconds:F1} s); whole test {clock.Elapsed.TotalSeconds:F1} s; " +
                         $"RabbitMQ redelivered {await Redelivered()} messages (the killed worker's unacknowledged ones; sampled, may lag)");
    }

    /// <summary>A process of one role, named in PostgreSQL (application_name <c>role-n</c>) so its locks can be told apart.</summary>
    private async Task<BrokerProcess> Start(string role, int n)
    {
        var process = await BrokerProcess.Start(_environment, new Dictionary<string, string>
        {
            ["Broker__Roles"] = role,
            ["ConnectionStrings__Postgres"] = $"{_environment.Database.ConnectionString};Application Name={role}-{n}",
        });
        lock (_processes) _processes.Add(process);
        return process;
    }

    /// <summary>The virtual host's redelivery count as the management API samples it: a figure of the run, not asserted.</summary>
    private async Task<string> Redelivered()
    {
        using var management = new HttpClient { BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/") };
        management.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{TestSettings.RabbitUsername}:{TestSettings.RabbitPassword}")));
        var vhost = await (await management.GetAsync($"api/vhosts/{_environment.VirtualHost.Name}")).Json();
        return vhost["message_stats"]?["redeliver"]?.ToString() ?? "0";
    }

    /// <summary>Advisory locks held in the deployment's database, by the application_name of the process holding them.</summary>
    private async Task<IReadOnlyDictionary<string, long>> AdvisoryLocksByProcess()
    {
        await using var command = _environment.Database.DataSource.CreateCommand("""
            SELECT a.application_name, count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() GROUP BY 1 ORDER BY 1
            """);
        var locks = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) locks[reader.GetString(0)] = reader.GetInt64(1);
        return locks;
    }

    /// <summary>The index of the process of <paramref name="role"/> holding the most advisory locks (the first one when none holds any).</summary>
    private static int Leader(string role, IReadOnlyDictionary<string, long> locks) =>
        locks.GetValueOrDefault($"{role}-1") > locks.GetValueOrDefault($"{role}-0") ? 1 : 0;

    private async Task<long> DirectoryRows()
    {
        await using var command = _environment.Database.DataSource.CreateCommand("SELECT count(*) FROM broker.instance_directory");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The last lines of each process's output: a failure shows what the nodes said without drowning in it.</summary>
    private static string Tails(IEnumerable<BrokerProcess> processes) => string.Join("\n", processes.Select(p =>
        $"--- pid {p.ProcessId} ---\n{string.Join("\n", p.Output.Split('\n').TakeLast(40))}"));
}
