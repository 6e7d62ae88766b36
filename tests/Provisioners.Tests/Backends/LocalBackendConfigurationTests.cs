using EventSourced.TestSupport;
using System.Diagnostics;
using EventSourced.Provisioners.Backends;
using Xunit.Abstractions;

namespace EventSourced.Provisioners.Tests.Backends;

public sealed class ConfigurationBackendFixture() : LocalBackendFixture(23850, 23899);

public sealed class LocalBackendConfigurationTests(ConfigurationBackendFixture fixture, ITestOutputHelper output)
    : IClassFixture<ConfigurationBackendFixture>
{
    private const string Database = "app";
    private const string Admin = "app_admin";
    private const string Password = "admin pass";
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Reconfigure_MaxConnections_RestartsWithTheNewValueKeepingTheData_AndEmptyRestoresTheDefault()
    {
        var (id, allocation, endpoint) = await ProvisionInstance(Settings("max_connections", "37"));
        Assert.Equal("37", await Show(endpoint, "max_connections"));
        await using (var admin = await Sessions.Open(endpoint, Database, Admin, Password))
            await admin.Scalar<int>("CREATE TABLE kept (n int); INSERT INTO kept VALUES (5); SELECT 1");
        var pid = ServerProcess.PostmasterPid(allocation.DataDirectory);

        var restart = Stopwatch.StartNew();
        Assert.Equal(endpoint, await fixture.Server.Reconfigure(id, Settings("max_connections", "61"), None));
        output.WriteLine($"Reconfigure with a restart took {restart.ElapsedMilliseconds} ms");

        Assert.True(ServerProcess.IsGone(pid));
        Assert.Equal("61", await Show(endpoint, "max_connections"));
        await using (var admin = await Sessions.Open(endpoint, Database, Admin, Password))
            Assert.Equal(5, await admin.Scalar<int>("SELECT n FROM kept"));
        var restartedPid = ServerProcess.PostmasterPid(allocation.DataDirectory);
        await fixture.Server.Reconfigure(id, Settings("MAX_CONNECTIONS", "61"), None);
        Assert.Equal(restartedPid, ServerProcess.PostmasterPid(allocation.DataDirectory));

        await fixture.Server.Reconfigure(id, LocalBackendFixture.NoSettings, None);

        Assert.Equal("50", await Show(endpoint, "max_connections"));
    }

    [Fact]
    public async Task Reconfigure_ReloadableSettings_ApplyWithoutARestart()
    {
        var (id, allocation, endpoint) = await ProvisionInstance(LocalBackendFixture.NoSettings);
        var pid = ServerProcess.PostmasterPid(allocation.DataDirectory);

        var reload = Stopwatch.StartNew();
        await fixture.Server.Reconfigure(id, new Dictionary<string, string> { ["work_mem"] = "8MB", ["statement_timeout"] = "5s" }, None);
        output.WriteLine($"Reconfigure with a reload took {reload.ElapsedMilliseconds} ms");

        Assert.Equal(pid, ServerProcess.PostmasterPid(allocation.DataDirectory));
        Assert.Equal("8MB", await Show(endpoint, "work_mem"));
        Assert.Equal("5s", await Show(endpoint, "statement_timeout"));
    }

    [Fact]
    public async Task ResurrectStopped_KilledPostmaster_ComesBackWithItsConfiguredSettings()
    {
        var (id, allocation, endpoint) = await ProvisionInstance(Settings("max_connections", "37"));
        await fixture.Server.Reconfigure(id, Settings("max_connections", "61"), None);
        var pid = ServerProcess.PostmasterPid(allocation.DataDirectory);
        var restartedBroker = fixture.NewServerBackend();

        Process.GetProcessById(pid).Kill();
        await Eventually.True(async () => !await restartedBroker.IsRunning(id, None), "the killed server stops counting as running");
        Assert.Equal(1, await restartedBroker.ResurrectStopped(None));

        Assert.Equal("61", await Show(endpoint, "max_connections"));
    }

    [Fact]
    public async Task Reconfigure_RefusedSetting_ThrowsNamingIt_AndTheServerKeepsItsSettings()
    {
        var (id, allocation, endpoint) = await ProvisionInstance(Settings("max_connections", "37"));
        var pid = ServerProcess.PostmasterPid(allocation.DataDirectory);
        (string Name, string Value)[] refusals =
            [("fsync", "off"), ("work_mem", "8MB'\ninclude = '/etc/passwd"), ("work_mem", "banana"), ("shared_buffers", "1PB")];

        foreach (var (name, value) in refusals)
        {
            var refused = await Assert.ThrowsAsync<BackendException>(() =>
                fixture.Server.Reconfigure(id, new Dictionary<string, string> { ["max_connections"] = "61", [name] = value }, None));
            Assert.Contains(name, refused.Message);
        }

        Assert.Equal(pid, ServerProcess.PostmasterPid(allocation.DataDirectory));
        Assert.Equal("37", await Show(endpoint, "max_connections"));
        await fixture.Server.Reconfigure(id, Settings("max_connections", "40"), None);
        Assert.Equal("40", await Show(endpoint, "max_connections"));
    }

    [Fact]
    public async Task Reconfigure_ValueTheServerCannotStartWith_Throws_AndRestartsItWithItsPreviousSettings()
    {
        var (id, _, endpoint) = await ProvisionInstance(Settings("max_connections", "37"));

        var refused = await Assert.ThrowsAsync<BackendException>(() =>
            fixture.Server.Reconfigure(id, new Dictionary<string, string> { ["max_connections"] = "61", ["shared_buffers"] = "1TB" }, None));

        Assert.Contains("shared_buffers", refused.Message);
        output.WriteLine(refused.Message);
        Assert.Equal("37", await Show(endpoint, "max_connections"));
        Assert.True(await fixture.Server.IsRunning(id, None));
        Assert.Equal("16MB", await Show(endpoint, "shared_buffers"));
    }

    private static Dictionary<string, string> Settings(string name, string value) => new() { [name] = value };

    private static Task<string> Show(ServerEndpoint endpoint, string setting) => Sessions.Show(endpoint, Database, Admin, Password, setting);

    private async Task<(Guid, StorageAllocation, ServerEndpoint)> ProvisionInstance(IReadOnlyDictionary<string, string> settings)
    {
        var id = fixture.NewInstance();
        var allocation = await fixture.Storage.Provision(id, 512, None);
        var endpoint = await fixture.Server.Provision(id, settings, None);
        await fixture.Database.Provision(id, Database, Admin, Password, None);
        return (id, allocation, endpoint);
    }
}
