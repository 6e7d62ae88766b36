using System.Diagnostics;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Simulated;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Tests.Backends;

public sealed class SimulatedBackendTests
{
    private const string Database = "app";
    private const string Admin = "app_admin";
    private const string Login = "binding";
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly SimulatedBackend _backend = new(Options.Create(new SimulatedBackendOptions()));
    private IServerBackend Servers => _backend;
    private IDatabaseBackend Databases => _backend;

    [Fact]
    public async Task Provision_WithSettings_RunsWithThemOverTheDefaults()
    {
        var id = await ProvisionServer(Settings("max_connections", "37"));

        Assert.Equal(new Dictionary<string, string> { ["max_connections"] = "37", ["shared_buffers"] = "16MB" }, _backend.SettingsOf(id));
    }

    [Fact]
    public async Task Reconfigure_ReplacesTheSettings_AndEmptyRestoresTheDefaults()
    {
        var id = await ProvisionServer(Settings("max_connections", "37"));
        var endpoint = await Servers.Provision(id, Settings("max_connections", "37"), None);

        Assert.Equal(endpoint, await Servers.Reconfigure(id, Settings("WORK_MEM", "8MB"), None));
        Assert.Equal(("50", "8MB"), (_backend.SettingsOf(id)!["max_connections"], _backend.SettingsOf(id)!["work_mem"]));

        await Servers.Reconfigure(id, new Dictionary<string, string>(), None);

        Assert.Equal(ServerSettings.Defaults, _backend.SettingsOf(id));
    }

    [Fact]
    public async Task Reconfigure_UnknownSettingOrNoServer_Throws_AndTheServerKeepsItsSettings()
    {
        var id = await ProvisionServer(Settings("max_connections", "37"));

        var unknown = await Assert.ThrowsAsync<BackendException>(() =>
            Servers.Reconfigure(id, new Dictionary<string, string> { ["max_connections"] = "61", ["fsync"] = "off" }, None));
        await Assert.ThrowsAsync<BackendException>(() => Servers.Reconfigure(Guid.NewGuid(), Settings("max_connections", "61"), None));

        Assert.Contains("fsync", unknown.Message);
        Assert.Equal("37", _backend.SettingsOf(id)!["max_connections"]);
    }

    [Fact]
    public async Task CreateLogin_LetsTheLoginIn_AndAgainResetsPasswordAndValidity()
    {
        var id = await ProvisionServer(new Dictionary<string, string>());

        await Databases.CreateLogin(id, Database, Admin, Login, "first", validUntil: null, None);
        Assert.True(_backend.CanLogIn(id, Database, Login, "first", Now));
        await Databases.CreateLogin(id, Database, Admin, Login, "second", Now.AddMinutes(-1), None);

        Assert.False(_backend.CanLogIn(id, Database, Login, "first", Now.AddMinutes(-2)));
        Assert.True(_backend.CanLogIn(id, Database, Login, "second", Now.AddMinutes(-2)));
        Assert.False(_backend.CanLogIn(id, Database, Login, "second", Now));
    }

    [Fact]
    public async Task DropLogin_RemovesTheLogin_AndTwiceOrWithoutServerIsFine()
    {
        var id = await ProvisionServer(new Dictionary<string, string>());
        await Databases.CreateLogin(id, Database, Admin, Login, "pw", validUntil: null, None);

        await Databases.DropLogin(id, Database, Admin, Login, None);
        await Databases.DropLogin(id, Database, Admin, Login, None);
        await Servers.Deprovision(id, None);
        await Databases.DropLogin(id, Database, Admin, Login, None);

        Assert.False(_backend.CanLogIn(id, Database, Login, "pw", Now));
        await Assert.ThrowsAsync<BackendException>(() => Databases.CreateLogin(id, Database, Admin, Login, "pw", null, None));
    }

    [Fact]
    public async Task LoginAndReconfigure_TakeTheStepLatency()
    {
        var slow = new SimulatedBackend(Options.Create(new SimulatedBackendOptions { StepLatency = TimeSpan.FromMilliseconds(50) }));
        var id = Guid.NewGuid();
        await ((IStorageBackend)slow).Provision(id, 512, None);
        await ((IServerBackend)slow).Provision(id, new Dictionary<string, string>(), None);
        var clock = Stopwatch.StartNew();

        await ((IServerBackend)slow).Reconfigure(id, Settings("work_mem", "8MB"), None);
        await ((IDatabaseBackend)slow).CreateLogin(id, Database, Admin, Login, "pw", null, None);
        await ((IDatabaseBackend)slow).DropLogin(id, Database, Admin, Login, None);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"took {clock.ElapsedMilliseconds} ms");
    }

    private static Dictionary<string, string> Settings(string name, string value) => new() { [name] = value };

    private async Task<Guid> ProvisionServer(IReadOnlyDictionary<string, string> settings)
    {
        var id = Guid.NewGuid();
        await ((IStorageBackend)_backend).Provision(id, 512, None);
        await Servers.Provision(id, settings, None);
        return id;
    }
}
