using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using Xunit.Abstractions;

namespace EventSourced.Broker.Tests.Fuzz;

/// <summary>
/// Thousands of hostile requests (see <see cref="RequestGenerator"/>) against a real broker with one provisioned instance
/// and one binding on the simulated backend: none may get a 5xx, none may append an event, and every body over the limit
/// gets its 413. Seeded and reproducible: <c>BROKER_FUZZ_SEED</c> picks another seed, <c>BROKER_FUZZ_REQUESTS</c> another
/// count; a failure lists the first offending requests byte for byte with the seed that makes them again.
/// </summary>
public sealed class BrokerFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int DefaultSeed = 20261201;
    private const int DefaultRequests = 6000;
    private const int Concurrency = 8;

    private BrokerEnvironment _environment = null!;
    private BrokerProcess _broker = null!;

    public async Task InitializeAsync()
    {
        _environment = await BrokerEnvironment.Create(new Dictionary<string, string> { ["Provisioners__Backend"] = "simulated" });
        _broker = await BrokerProcess.Start(_environment);
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task HostileRequests_OnEveryRouteAndMethod_NeverAnswer5xxAppendNothingAndEnforceTheBodyLimit()
    {
        var seed = Setting("BROKER_FUZZ_SEED", DefaultSeed);
        var count = Setting("BROKER_FUZZ_REQUESTS", DefaultRequests);
        output.WriteLine($"Fuzz seed {seed}, {count} requests (again: BROKER_FUZZ_SEED={seed} BROKER_FUZZ_REQUESTS={count})");
        var target = await ProvisionedTarget(new Random(seed));
        var endpoints = MappedEndpoint.Of(_environment);
        var generator = new RequestGenerator(seed, endpoints, target);
        var before = await LastSequence();

        var failures = new ConcurrentBag<(int Index, string Why)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var statuses = new ConcurrentDictionary<int, int>();
        var unanswered = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (index, _) =>
        {
            var request = generator.Generate(index);
            var (status, head, error) = await RawHttp.Send(_broker.BaseAddress.Port, request.Bytes, request.EndsEarly, TimeSpan.FromSeconds(30));
            statuses.AddOrUpdate(status ?? 0, 1, (_, n) => n + 1);
            if (status is null) unanswered.AddOrUpdate($"{request.Shapes[0]}, over the limit: {request.OverLimit}", 1, (_, n) => n + 1);
            if (Problem(request, status, head, error) is { } problem) failures.Add((index, problem));
        });

        output.WriteLine($"{count} requests in {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"Closed without an answer: {string.Join("; ", unanswered.Select(u => $"{u.Key}: {u.Value}"))}");
        var appended = await AppendedSince(before);
        output.WriteLine($"Statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "none" : s.Key)}×{s.Value}"))}");
        var report = new List<string>();
        foreach (var (index, why) in failures.OrderBy(f => f.Index).Take(8))
            report.Add($"{why}\n  {generator.Generate(index).Describe()}");
        foreach (var (sequence, stream, type, identity) in appended.Take(8))
        {
            var cause = identity?.StartsWith("fuzz-") == true ? generator.Generate(int.Parse(identity[5..])).Describe() : $"request identity {identity ?? "none"}";
            report.Add($"Appended #{sequence} {type} on {stream}, caused by:\n  {cause}");
        }
        Assert.True(failures.IsEmpty && appended.Count == 0,
            $"Seed {seed} (BROKER_FUZZ_SEED={seed}): {failures.Count} of {count} requests failed, {appended.Count} events appended.\n\n"
            + string.Join("\n\n", report) + "\n\nBroker errors:\n" + BrokerErrors());
    }

    /// <summary>Why an answer is wrong, or null when it is not.</summary>
    private static string? Problem(FuzzRequest request, int? status, string head, string? error)
    {
        var brokenHttp = request.Shapes.Contains("broken HTTP");
        if (status is null)
            // Kestrel may close a connection on a request it cannot frame, or on a body it stopped reading.
            return brokenHttp || request.OverLimit != OverLimit.No ? null : $"No answer ({error})";
        // 505 is HTTP's own answer to a protocol version the server does not speak (HTTP/2.0 or 9.9 over a plain
        // HTTP/1 connection), given by Kestrel before the broker sees the request: a refusal, not a server failure.
        if (status == 505 && request.Shapes.Contains("odd protocol version")) return null;
        if (status >= 500) return $"Answered {status}: {head}";
        if (brokenHttp) return null;
        var owed413 = request.OverLimit == OverLimit.ByContentLength
                      || (request.OverLimit == OverLimit.Chunked && request.Shapes[0] == "one broken");
        // Kestrel refuses some requests before the broker sees them (a NUL in the path, raw non-ASCII header bytes): an
        // empty 400 of its own.
        var refusedByKestrel = status == 400 && head.Contains("Content-Length: 0") && !head.Contains("Content-Type");
        if (owed413 && !refusedByKestrel && (status != 413 || (request.Method != "HEAD" && !head.Contains("\"error\":\"PayloadTooLarge\""))))
            return $"Answered {status} to a body over the limit, not an OSB 413: {head}";
        return null;
    }

    /// <summary>One instance and one binding, made and finished before the first hostile request, so that those reach decisions.</summary>
    private async Task<FuzzTarget> ProvisionedTarget(Random ids)
    {
        var client = _broker.Client;
        var instance = NewGuid(ids);
        var binding = NewGuid(ids);
        var app = NewGuid(ids).ToString();
        const string organization = "fuzz-org";
        var provision = await client.PutAsJsonAsync($"/v2/service_instances/{instance}?accepts_incomplete=true", new
        {
            service_id = Hosting.Osb.ServiceId, plan_id = Hosting.Osb.SmallPlanId, organization_guid = organization, space_guid = "fuzz-space",
        });
        Assert.Equal(HttpStatusCode.Accepted, provision.StatusCode);
        var done = await client.PollUntilDone(instance, TimeSpan.FromSeconds(60));
        Assert.True(done.State == "succeeded", $"{done}\n{_broker.Output}");
        var bind = await client.PutAsJsonAsync($"/v2/service_instances/{instance}/service_bindings/{binding}",
            new { service_id = Hosting.Osb.ServiceId, plan_id = Hosting.Osb.SmallPlanId, app_guid = app });
        Assert.True(bind.StatusCode == HttpStatusCode.Created, $"{bind.StatusCode}: {await bind.Content.ReadAsStringAsync()}\n{_broker.Output}");
        return new FuzzTarget($"127.0.0.1:{_broker.BaseAddress.Port}", _environment.Username, _environment.Password,
            BodyLimit: 1024 * 1024, instance, organization, binding, app);
    }

    private static Guid NewGuid(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private async Task<long> LastSequence()
    {
        await using var command = _environment.Database.DataSource.CreateCommand("SELECT coalesce(max(seq_id), 0) FROM broker.mt_events");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<List<(long Sequence, string Stream, string Type, string? Identity)>> AppendedSince(long sequence)
    {
        await using var command = _environment.Database.DataSource.CreateCommand(
            "SELECT seq_id, stream_id, type, headers->>'request-identity' FROM broker.mt_events WHERE seq_id > $1 AND type <> 'tombstone' ORDER BY seq_id");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = sequence });
        var events = new List<(long, string, string, string?)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            events.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        return events;
    }

    private string BrokerErrors()
    {
        var lines = _broker.Output.Split('\n');
        var errors = lines.Select((line, i) => (line, i)).Where(l => l.line.StartsWith("fail:")).Take(5)
            .Select(l => string.Join("\n", lines.Skip(l.i).Take(12)));
        return string.Join("\n", errors);
    }

    private static int Setting(string name, int fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? int.Parse(value) : fallback;
}
