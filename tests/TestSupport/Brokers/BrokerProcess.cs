using EventSourced.TestSupport;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace EventSourced.TestSupport.Brokers;

/// <summary>
/// The real broker, as its own OS process on a loopback port: what `./run` starts. Tests can kill it (SIGKILL, no
/// graceful shutdown) and start another on the same environment to prove nothing is lost or forgotten.
/// </summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BrokerProcess(Process process, Uri baseAddress, BrokerEnvironment environment)
    {
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{environment.Username}:{environment.Password}")));
        Client.DefaultRequestHeaders.Add("X-Broker-API-Version", "2.17");
        OpsClient = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        OpsClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{environment.OpsUsername}:{environment.OpsPassword}")));
    }

    public Uri BaseAddress { get; }

    /// <summary>Authenticated, with X-Broker-API-Version 2.17.</summary>
    public HttpClient Client { get; }

    /// <summary>Authenticated with the ops credentials (the ops API, <c>/api/v1</c>).</summary>
    public HttpClient OpsClient { get; }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <param name="overrides">Settings of this process only, on top of the environment's.</param>
    /// <param name="port">The loopback port to serve on (a broker restarted where its clients know it); a free one by default.</param>
    public static async Task<BrokerProcess> Start(BrokerEnvironment environment, IReadOnlyDictionary<string, string>? overrides = null, int? port = null)
    {
        port ??= FreePort();
        var broker = Binaries();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(broker, "EventSourced.Broker.dll"), "--contentRoot", broker])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = broker,
        };
        foreach (var (key, value) in environment.Settings(port.Value)) start.Environment[key] = value;
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = new Process { StartInfo = start };
        var started = new BrokerProcess(process, new Uri($"http://127.0.0.1:{port}"), environment);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await started.WaitUntilHealthy();
        }
        catch
        {
            // A broker that never became healthy is not left running behind the failed test.
            await started.DisposeAsync();
            throw;
        }
        return started;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, in-flight work simply stops.</summary>
    /// <param name="entireProcessTree">
    /// True (a container or VM going down): the tools the broker runs at that moment (initdb, pg_ctl, a postmaster still
    /// starting) die with it. False (`kill -9` of the broker's PID, the OOM killer): they run on, orphaned.
    /// </param>
    public async Task Kill(bool entireProcessTree = true)
    {
        _process.Kill(entireProcessTree);
        await _process.WaitForExitAsync();
    }

    public int ProcessId => _process.Id;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Client.Dispose();
        OpsClient.Dispose();
    }

    private Task WaitUntilHealthy() =>
        Eventually.Until(async () =>
        {
            if (_process.HasExited)
            {
                // Without a timeout, WaitForExit also waits for the redirected output to be read to its end: read before
                // that, the broker's last lines (the very reason it stopped) were sometimes missing.
                _process.WaitForExit();
                throw new InvalidOperationException($"The broker exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                return (await Client.GetAsync("/health/ready")).StatusCode.ToString();
            }
            catch (HttpRequestException e)
            {
                return e.Message;
            }
        }, health => health == nameof(HttpStatusCode.OK), "the broker answers /health/ready with 200", seconds: 90, details: () => Output);

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The broker's build output of the same configuration as the tests (every test project that starts brokers references its project).</summary>
    public static string Binaries()
    {
        var testBinaries = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = testBinaries.Parent!.Name;
        var root = testBinaries;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "EventSourced.sln"))) root = root.Parent;
        var broker = Path.Combine(root!.FullName, "src", "Broker", "bin", configuration, "net10.0");
        return File.Exists(Path.Combine(broker, "EventSourced.Broker.dll"))
            ? broker
            : throw new InvalidOperationException($"The broker is not built at {broker}");
    }
}
