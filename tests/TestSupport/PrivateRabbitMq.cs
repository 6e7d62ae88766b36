using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EventSourced.TestSupport;

/// <summary>
/// A RabbitMQ node of a test's own (its node name, ports, cookie, database and logs under /tmp), so a test can stop and
/// start it without touching the shared node every other test uses. User <c>broker</c> / <c>broker</c> on the virtual
/// host <c>/</c>; durable queues and persistent messages survive a stop, as on a real node. Removed when disposed.
/// </summary>
public sealed class PrivateRabbitMq : IAsyncDisposable
{
    private const string Bin = "/usr/lib/rabbitmq/bin";
    private readonly string _directory;
    private readonly string _node;
    private readonly int _distributionPort;
    private Process? _server;

    private PrivateRabbitMq(string directory, string node, int port, int distributionPort)
    {
        _directory = directory;
        _node = node;
        Port = port;
        _distributionPort = distributionPort;
    }

    public int Port { get; }
    public string Username => "broker";
    public string Password => "broker";
    private string PidFile => Path.Combine(_directory, "rabbitmq.pid");

    public static async Task<PrivateRabbitMq> Start()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var directory = Path.Combine(Path.GetTempPath(), $"esb-rabbit-{id}");
        foreach (var sub in new[] { "home", "mnesia", "log" }) Directory.CreateDirectory(Path.Combine(directory, sub));
        var node = new PrivateRabbitMq(directory, $"esb-test-{id}@localhost", FreePort(), FreePort());
        await File.WriteAllTextAsync(Path.Combine(directory, "rabbitmq.conf"), $"""
            listeners.tcp.default = 127.0.0.1:{node.Port}
            loopback_users = none
            default_user = broker
            default_pass = broker
            default_permissions.configure = .*
            default_permissions.read = .*
            default_permissions.write = .*
            disk_free_limit.absolute = 50MB
            """);
        await File.WriteAllTextAsync(Path.Combine(directory, "enabled_plugins"), "[].");
        await File.WriteAllTextAsync(Path.Combine(directory, "rabbitmq-env.conf"), "");
        try
        {
            await node.StartAgain();
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the node (on the same database: what was durable is back) and waits until it accepts connections.</summary>
    public async Task StartAgain()
    {
        File.Delete(PidFile);
        var start = Configure(new ProcessStartInfo(Path.Combine(Bin, "rabbitmq-server"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = _directory,
        });
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        // The AMQP listener opens last in the node's boot (after its database and durable queues are back): a node that
        // accepts a connection is ready. Polling the port spares the two Erlang VMs rabbitmqctl wait/await_startup boot.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!await LoopbackPort.Accepts(Port))
        {
            if (_server.HasExited) throw new InvalidOperationException($"rabbitmq-server exited with {_server.ExitCode}; see {_directory}/log");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"RabbitMQ node {_node} did not listen on {Port} within 120 s");
            await Task.Delay(200);
        }
    }


    /// <summary>A clean stop (<c>rabbitmqctl stop</c>), as an operator or a package upgrade does it; returns once the node is gone.</summary>
    public async Task Stop()
    {
        await Ctl("stop", PidFile);
        if (_server is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await _server.WaitForExitAsync(timeout.Token);
            _server.Dispose();
            _server = null;
        }
    }

    /// <summary>
    /// Flow control as a node short of memory applies it: every publishing connection is blocked (publishes wait) until
    /// <see cref="ClearMemoryAlarm"/>.
    /// </summary>
    public Task RaiseMemoryAlarm() => Ctl("set_vm_memory_high_watermark", "absolute", "1");

    public Task ClearMemoryAlarm() => Ctl("set_vm_memory_high_watermark", "0.4");

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            try { await Stop(); }
            catch (Exception) { _server?.Kill(entireProcessTree: true); }
        }
        _server?.Dispose();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }

    private async Task Ctl(params string[] arguments)
    {
        var start = Configure(new ProcessStartInfo(Path.Combine(Bin, "rabbitmqctl"), ["-n", _node, .. arguments])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _directory,
        });
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
    }

    /// <summary>Everything of the node's own: the cookie lives in HOME, epmd and distribution listen on loopback only.</summary>
    private ProcessStartInfo Configure(ProcessStartInfo start)
    {
        var environment = start.Environment;
        environment["HOME"] = Path.Combine(_directory, "home");
        environment["RABBITMQ_NODENAME"] = _node;
        environment["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
        environment["RABBITMQ_NODE_PORT"] = Port.ToString();
        environment["RABBITMQ_DIST_PORT"] = _distributionPort.ToString();
        environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(_directory, "mnesia");
        environment["RABBITMQ_LOG_BASE"] = Path.Combine(_directory, "log");
        environment["RABBITMQ_PID_FILE"] = PidFile;
        environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(_directory, "rabbitmq.conf");
        environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_directory, "enabled_plugins");
        environment["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_directory, "rabbitmq-env.conf");
        environment["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
        environment["ERL_EPMD_ADDRESS"] = "127.0.0.1";
        return start;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
