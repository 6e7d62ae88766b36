using System.Diagnostics;

namespace EventSourced.Bench.Infrastructure;

public sealed record LoadResult(
    int Concurrency, long Requests, long Errors, double Seconds, double RequestsPerSecond, double P50Ms, double P99Ms, double MaxMs,
    double MachineBusyPercent, double DriverCores, double DriverCpuUsPerRequest, double BrokerCores, double BrokerCpuUsPerRequest);

/// <summary>
/// A closed-loop HTTP/1.1 keep-alive load generator: <c>concurrency</c> workers, each with its own pooled connection, send
/// the next request as soon as the previous answer is read. Its own CPU per request is reported beside every result.
/// </summary>
public sealed class HttpLoad(Uri baseAddress, IReadOnlyDictionary<string, string> headers, int? brokerPid) : IDisposable
{
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 1024,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
    });

    public HttpRequestMessage Request(HttpMethod method, string path, byte[]? json = null)
    {
        var request = new HttpRequestMessage(method, new Uri(baseAddress, path)) { Version = System.Net.HttpVersion.Version11 };
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        if (json is not null)
        {
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = new("application/json");
        }
        return request;
    }

    public async Task<(int Status, byte[] Body)> Send(HttpRequestMessage request)
    {
        using var response = await _invoker.SendAsync(request, CancellationToken.None);
        return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>Runs for <paramref name="warmup"/> (discarded), then measures for <paramref name="duration"/>.</summary>
    public async Task<LoadResult> Run(int concurrency, TimeSpan warmup, TimeSpan duration, Func<long, HttpRequestMessage> next, int expectedStatus)
    {
        long sequence = 0;
        if (warmup > TimeSpan.Zero) await Loop(concurrency, warmup, next, expectedStatus, () => Interlocked.Increment(ref sequence));
        var before = CpuSnapshot.Take(brokerPid);
        var (latencies, errors, elapsed) = await Loop(concurrency, duration, next, expectedStatus, () => Interlocked.Increment(ref sequence));
        var cpu = CpuSnapshot.Take(brokerPid).Since(before);
        latencies.Sort();
        var count = Math.Max(1, latencies.Count + errors);
        return new LoadResult(concurrency, latencies.Count, errors, elapsed.TotalSeconds, latencies.Count / elapsed.TotalSeconds,
            Latencies.Percentile(latencies, 50), Latencies.Percentile(latencies, 99), latencies.Count > 0 ? latencies[^1] : double.NaN,
            cpu.MachineBusyPercent, cpu.SelfCores, cpu.SelfCpu.TotalMicroseconds / count, cpu.BrokerCores, cpu.BrokerCpu.TotalMicroseconds / count);
    }

    private async Task<(List<double> Latencies, long Errors, TimeSpan Elapsed)> Loop(
        int concurrency, TimeSpan duration, Func<long, HttpRequestMessage> next, int expectedStatus, Func<long> sequence)
    {
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long errors = 0;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(4096);
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var sent = Stopwatch.GetTimestamp();
                var ok = false;
                try
                {
                    using var request = next(sequence());
                    using var response = await _invoker.SendAsync(request, CancellationToken.None);
                    await response.Content.CopyToAsync(Stream.Null);
                    ok = (int)response.StatusCode == expectedStatus;
                }
                catch (HttpRequestException)
                {
                }
                if (ok) latencies.Add(Latencies.Milliseconds(Stopwatch.GetTimestamp() - sent));
                else Interlocked.Increment(ref errors);
            }
            return latencies;
        })).ToList();
        var all = (await Task.WhenAll(workers)).SelectMany(l => l).ToList();
        return (all, errors, Stopwatch.GetElapsedTime(started));
    }

    public void Dispose() => _invoker.Dispose();
}
