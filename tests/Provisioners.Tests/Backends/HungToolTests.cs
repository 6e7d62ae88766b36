using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Tests.Backends;

/// <summary>
/// A PostgreSQL tool that never returns (a hung initdb) fails its step within a bound instead of hanging it, and is
/// killed: the operation can then fail and roll back by its deadline.
/// </summary>
public sealed class HungToolTests : IAsyncLifetime
{
    private readonly string _bin = Path.Combine(Path.GetTempPath(), $"esb-hung-bin-{Guid.NewGuid():N}");
    private readonly string _dataRoot = Path.Combine(TestSettings.LocalBackendDataRoot, $"t-{Guid.NewGuid().ToString("N")[..8]}");
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_bin);
        foreach (var tool in new[] { "pg_ctl", "initdb", "postgres" })
        {
            var path = Path.Combine(_bin, tool);
            await File.WriteAllTextAsync(path, $"#!/bin/sh\n# {_bin}\nexec sleep 300\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Provisioners:Local:DataRoot"] = _dataRoot,
            ["Provisioners:Local:PostgresBinDirectory"] = _bin,
            ["Provisioners:Local:StartTimeout"] = "00:00:01",
            ["Provisioners:Local:PortRangeStart"] = "24880",
            ["Provisioners:Local:PortRangeEnd"] = "24889",
        }).Build();
        _services = new ServiceCollection().AddLogging().AddLocalBackend(configuration).BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        if (Directory.Exists(_dataRoot)) Directory.Delete(_dataRoot, recursive: true);
        Directory.Delete(_bin, recursive: true);
    }

    [Fact]
    public async Task ServerProvision_InitdbHangs_FailsNamingTheTool_AndLeavesNoProcess()
    {
        var instanceId = Guid.NewGuid();
        await _services.GetRequiredService<IStorageBackend>().Provision(instanceId, 256, CancellationToken.None);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var failed = await Assert.ThrowsAsync<BackendException>(() =>
            _services.GetRequiredService<IServerBackend>().Provision(instanceId, new Dictionary<string, string>(), bound.Token));

        Assert.Contains("initdb", failed.Message);
        Assert.Contains("did not finish within 2 s", failed.Message);
        await Eventually.True(() => !RunningFrom(_bin), "no process of the hung tool left");
    }

    private static bool RunningFrom(string directory) =>
        Directory.EnumerateDirectories("/proc").Any(p =>
        {
            try
            {
                return int.TryParse(Path.GetFileName(p), out _) && File.ReadAllText(Path.Combine(p, "cmdline")).Contains(directory);
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        });
}
