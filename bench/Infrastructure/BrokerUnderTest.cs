using EventSourced.TestSupport;
using System.Security.Cryptography;
using System.Text;

namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// The real broker (its Release build) as its own process on a fresh database and RabbitMQ virtual host, with the
/// simulated backend at zero step latency, so only the broker's own paths are measured.
/// </summary>
public sealed class BrokerUnderTest : IAsyncDisposable
{
    public const string ServiceId = "3f6b3cf2-6f0e-4d6c-9a43-0d6a8a7a1c01";
    public const string PlanId = "9d1d7c6e-2b7a-4f57-8f2f-5c1d0a5e3b11";

    private BrokerUnderTest(PostgresDatabase database, RabbitMqVirtualHost virtualHost, ServerProcess process, string username, string password)
    {
        Database = database;
        VirtualHost = virtualHost;
        Process = process;
        Headers = HeadersOf(username, password);
    }

    public PostgresDatabase Database { get; }
    public RabbitMqVirtualHost VirtualHost { get; }
    public ServerProcess Process { get; }
    public IReadOnlyDictionary<string, string> Headers { get; }

    public static byte[] ProvisionBody { get; } = Encoding.UTF8.GetBytes(
        $$"""{"service_id":"{{ServiceId}}","plan_id":"{{PlanId}}","organization_guid":"org-guid","space_guid":"space-guid"}""");

    public static string ProvisionPath(Guid id) => $"/v2/service_instances/{id}?accepts_incomplete=true";

    public static string LastOperationPath(Guid id) => $"/v2/service_instances/{id}/last_operation";

    /// <summary>Seconds from the process's start to the answer <c>untilFirstAnswer</c> waited for (scenario 8), if it was given.</summary>
    public double? FirstAnswerSeconds { get; private init; }

    private static IReadOnlyDictionary<string, string> HeadersOf(string username, string password) => new Dictionary<string, string>
    {
        ["Authorization"] = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")),
        ["X-Broker-API-Version"] = "2.17",
    };

    /// <summary>
    /// A broker on a fresh database and virtual host; <paramref name="overrides"/> adds or replaces settings. With
    /// <paramref name="untilFirstAnswer"/>, that is run as soon as the process is started (with the OSB headers) instead
    /// of waiting for its health route, and its result kept in <see cref="FirstAnswerSeconds"/>.
    /// </summary>
    public static async Task<BrokerUnderTest> Start(IReadOnlyDictionary<string, string>? overrides = null,
        Func<ServerProcess, IReadOnlyDictionary<string, string>, Task<double>>? untilFirstAnswer = null)
    {
        var database = await BenchDatabase.Create("broker");
        var virtualHost = await RabbitMqVirtualHost.Create();
        var (username, password) = ("platform", RandomNumberGenerator.GetHexString(20, lowercase: true));
        var port = ServerProcess.FreePort();
        var binaries = Path.Combine(Settings.RepositoryRoot(), "src", "Broker", "bin", "Release", "net10.0");
        var dll = Path.Combine(binaries, "EventSourced.Broker.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"Build the broker first (Release): {dll} is missing.");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Broker__PublicUrl"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__Postgres"] = database.ConnectionString,
            ["RabbitMq__Host"] = TestSettings.RabbitHost,
            ["RabbitMq__Port"] = TestSettings.RabbitPort.ToString(),
            ["RabbitMq__VirtualHost"] = virtualHost.Name,
            ["RabbitMq__Username"] = TestSettings.RabbitUsername,
            ["RabbitMq__Password"] = TestSettings.RabbitPassword,
            ["Broker__Username"] = username,
            ["Broker__Password"] = password,
            ["Ops__Username"] = "operator",
            ["Ops__Password"] = RandomNumberGenerator.GetHexString(20, lowercase: true),
            ["Secrets__Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Provisioners__Backend"] = "simulated",
            ["Provisioners__Simulated__StepLatency"] = "00:00:00",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>()) environment[key] = value;
        // In Production the broker only checks the schema (EventStore:AutoCreate None): create it as an operator would.
        var (applied, output) = await ServerProcess.Run(dll, ["db", "apply"], environment);
        if (applied != 0) throw new InvalidOperationException($"db apply failed ({applied}):\n{output}");
        var process = await ServerProcess.Start(dll, ["--contentRoot", binaries], environment, port, waitUntilHealthy: untilFirstAnswer is null);
        var firstAnswer = untilFirstAnswer is null ? (double?)null : await untilFirstAnswer(process, HeadersOf(username, password));
        return new BrokerUnderTest(database, virtualHost, process, username, password)
            { FirstAnswerSeconds = firstAnswer, Ended = new ProvisioningOutcomes(database) };
    }

    /// <summary>The provisionings that ended, read incrementally from the log (<see cref="ProvisioningOutcomes"/>).</summary>
    public ProvisioningOutcomes Ended { get; private init; } = null!;

    /// <summary>Instances whose provisioning has been recorded as succeeded or failed (the events the saga's end appends).</summary>
    public async Task<(long Succeeded, long Failed)> Outcomes()
    {
        await Ended.Refresh();
        return (Ended.Succeeded.Count, Ended.Failed.Count);
    }

    public async Task<long> Requested() =>
        await Database.Scalar<long>("SELECT count(*) FROM broker.mt_events WHERE type = 'ServiceInstanceProvisioningRequested'");

    /// <summary>Waits until every requested provisioning has an outcome; returns the seconds it took, or null on timeout.</summary>
    public async Task<double?> Drain(TimeSpan timeout)
    {
        var started = DateTime.UtcNow;
        var requested = await Requested();
        while (DateTime.UtcNow - started < timeout)
        {
            var (succeeded, failed) = await Outcomes();
            if (succeeded + failed >= requested) return (DateTime.UtcNow - started).TotalSeconds;
            await Task.Delay(200);
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
