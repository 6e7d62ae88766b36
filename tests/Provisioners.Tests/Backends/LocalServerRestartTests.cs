using EventSourced.TestSupport;
using System.Diagnostics;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;

namespace EventSourced.Provisioners.Tests.Backends;

public sealed class RestartBackendFixture() : LocalBackendFixture(23700, 23749);

/// <summary>
/// <see cref="LocalServerBackend.Restart"/>, what the resurrector calls: a dead server comes back on its port with its
/// data; one that runs, one recorded elsewhere and one whose cluster is gone are left alone.
/// </summary>
public sealed class LocalServerRestartTests(RestartBackendFixture fixture) : IClassFixture<RestartBackendFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private LocalServerBackend Servers => (LocalServerBackend)fixture.Server;

    [Fact]
    public async Task KilledServer_IsStartedAgainOnItsPort_WithItsData_AndARunningOneIsLeftAlone()
    {
        var (id, allocation, endpoint) = await ProvisionServer();
        await Psql(endpoint, "CREATE TABLE survivors (name text); INSERT INTO survivors VALUES ('kept')");
        var pid = ServerProcess.PostmasterPid(allocation.DataDirectory);
        using (var process = Process.GetProcessById(pid)) process.Kill();
        // A SIGKILLed postmaster is "alive but does not answer" until the kernel has it gone (seconds, on a loaded machine).
        await Eventually.True(async () => await Servers.WhyNotAnswering(id, endpoint.Port, None) == $"postmaster {pid} is gone",
            "the killed server is seen as gone", seconds: 60);

        Assert.True(await Servers.Restart(id, endpoint.Port, None));

        Assert.Null(await Servers.WhyNotAnswering(id, endpoint.Port, None));
        Assert.NotEqual(pid, ServerProcess.PostmasterPid(allocation.DataDirectory));
        Assert.Equal("kept", await Psql(endpoint, "SELECT name FROM survivors"));
        Assert.False(await Servers.Restart(id, endpoint.Port, None));
    }

    [Fact]
    public async Task ServerWhoseClusterIsGone_IsNotReplacedByAnEmptyOne_NorAtTheNextStart()
    {
        var (id, allocation, endpoint) = await ProvisionServer();
        using (var process = Process.GetProcessById(ServerProcess.PostmasterPid(allocation.DataDirectory))) process.Kill();
        await Eventually.True(async () => await Servers.WhyNotAnswering(id, endpoint.Port, None) is not null, "the killed server is seen as not answering");
        var pgdata = Path.Combine(allocation.DataDirectory, "pgdata");
        await Eventually.True(() => Task.FromResult(TryDelete(pgdata)), "its cluster removed");

        var refused = await Assert.ThrowsAsync<BackendException>(() => Servers.Restart(id, endpoint.Port, None));

        Assert.Contains("cluster", refused.Message);
        // Nor by the pass that restarts recorded servers when a broker starts.
        Assert.Equal(0, await fixture.NewServerBackend().ResurrectStopped(None));
        Assert.False(Directory.Exists(pgdata), "no new cluster was made");
        Assert.False(await ServerProcess.Answers(endpoint.Port));
    }

    [Fact]
    public async Task ServerRecordedOnAnotherPort_OrDeprovisioned_IsNotStarted()
    {
        var (id, _, endpoint) = await ProvisionServer();
        await Assert.ThrowsAsync<BackendException>(() => Servers.Restart(id, endpoint.Port + 1, None));

        await Servers.Deprovision(id, None);
        await Assert.ThrowsAsync<BackendException>(() => Servers.Restart(id, endpoint.Port, None));
        Assert.False(await ServerProcess.Answers(endpoint.Port));
    }

    private async Task<(Guid Id, StorageAllocation Allocation, ServerEndpoint Endpoint)> ProvisionServer()
    {
        var id = fixture.NewInstance();
        var allocation = await fixture.Storage.Provision(id, 1024, None);
        return (id, allocation, await fixture.Server.Provision(id, LocalBackendFixture.NoSettings, None));
    }

    /// <summary>Runs SQL as the superuser over the server's socket (psql as the server's user), returning its output.</summary>
    private async Task<string> Psql(ServerEndpoint endpoint, string sql)
    {
        var options = new LocalBackendOptions();
        var psql = Path.Combine(options.PostgresBinDirectory, "psql");
        var socket = Directory.GetDirectories("/tmp/esb-sockets").Single(d => File.Exists(Path.Combine(d, $".s.PGSQL.{endpoint.Port}")));
        var start = new ProcessStartInfo(options.RunAsUser is { } user ? "runuser" : psql) { RedirectStandardOutput = true, RedirectStandardError = true };
        var arguments = new List<string> { "-h", socket, "-p", endpoint.Port.ToString(), "-U", "postgres", "-d", "postgres", "-tA", "-c", sql };
        if (options.RunAsUser is { } runAs) arguments.InsertRange(0, ["-u", runAs, "--", psql]);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"psql: {error}");
        return output.Trim();
    }

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
