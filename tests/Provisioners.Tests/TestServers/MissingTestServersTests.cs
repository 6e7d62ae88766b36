using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EventSourced.Provisioners.Tests.Backends;

namespace EventSourced.Provisioners.Tests.TestServers;

/// <summary>
/// `dotnet test` where the environment names no PostgreSQL or RabbitMQ and no Docker endpoint answers (an IDE on a
/// machine without Docker): a test that needs PostgreSQL fails at once saying what to set or start, instead of trying a
/// guessed server. Run as a child `dotnet test` of this test assembly, its environment without the servers' settings
/// and with a DOCKER_HOST where nothing listens.
/// </summary>
public sealed class MissingTestServersTests
{
    [Fact]
    public async Task NoSettingsAndNoDocker_ATestNeedingPostgres_FailsSayingWhatToSetOrStart()
    {
        var dockerHost = $"tcp://127.0.0.1:{PortNobodyListensOn()}";
        var start = new ProcessStartInfo("dotnet",
            ["test", typeof(MissingTestServersTests).Assembly.Location, "--filter", $"FullyQualifiedName~{typeof(SharedSimulatedBackendTests).FullName}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var name in start.Environment.Keys.Where(name => name.StartsWith("ConnectionStrings__", StringComparison.Ordinal)
                     || name.StartsWith("RabbitMq__", StringComparison.Ordinal) || name.StartsWith("TESTCONTAINERS_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        start.Environment["DOCKER_HOST"] = dockerHost;

        var output = await Run(start, TimeSpan.FromSeconds(120));

        Assert.True(output.ExitCode != 0, output.Text);
        Assert.Contains("The tests have no PostgreSQL: ConnectionStrings__Postgres is not set, and no Docker endpoint answers", output.Text);
        Assert.Contains($"(DOCKER_HOST: {dockerHost})", output.Text);
        Assert.Contains("or start Docker", output.Text);
    }

    private static async Task<(int ExitCode, string Text)> Run(ProcessStartInfo start, TimeSpan bound)
    {
        using var process = new Process { StartInfo = start };
        var text = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (text) text.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the child `dotnet test` did not end within {bound.TotalSeconds} s:\n{text}");
        }
        process.WaitForExit();
        lock (text) return (process.ExitCode, text.ToString());
    }

    private static int PortNobodyListensOn()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
