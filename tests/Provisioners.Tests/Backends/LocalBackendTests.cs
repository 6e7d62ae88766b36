using EventSourced.TestSupport;
using System.Diagnostics;
using EventSourced.Provisioners.Backends;
using Npgsql;

namespace EventSourced.Provisioners.Tests.Backends;

public sealed class LocalBackendTests(LocalBackendFixture fixture) : IClassFixture<LocalBackendFixture>
{
    private const string Database = "app";
    private const string Admin = "app_admin";
    private const string Password = "s3cret 'quoted\" pass";
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task ProvisionDatabase_EightTimesAtOnce_EveryRunSucceeds()
    {
        // A re-sent step can run beside the first: the losing CREATE must not fail the step (it failed with 23505).
        var id = fixture.NewInstance();
        await fixture.Storage.Provision(id, 1024, None);
        await fixture.Server.Provision(id, LocalBackendFixture.NoSettings, None);

        // All eight leave together: each waits at a gate that opens when the last one has arrived.
        var (gate, arrived) = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), 0);
        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            if (Interlocked.Increment(ref arrived) == 8) gate.SetResult();
            await gate.Task;
            return await fixture.Database.Provision(id, Database, Admin, Password, None);
        })));

        Assert.All(runs, access => Assert.Equal(new DatabaseAccess(Database, Admin), access));
    }

    [Fact]
    public async Task DeprovisionDatabase_EightTimesAtOnce_EveryRunSucceeds_AndTheDatabaseAndItsOwnerAreGone()
    {
        // A deprovision cancelling a provisioning sends the database step again when the provisioning's own step fails
        // under it: both runs saw the owner role, one dropped it, the other failed with 'role "…" does not exist'.
        var id = fixture.NewInstance();
        var (_, endpoint, _) = await ProvisionAll(id);

        var (gate, arrived) = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), 0);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            if (Interlocked.Increment(ref arrived) == 8) gate.SetResult();
            await gate.Task;
            await fixture.Database.Deprovision(id, Database, Admin, serverStays: true, None);
        })));

        var failure = await Assert.ThrowsAsync<PostgresException>(async () => await ConnectAsAdmin(endpoint, Password));
        Assert.Equal("28P01", failure.SqlState); // password authentication failed: the owner role is gone
    }

    [Fact]
    public async Task Provision_StorageServerDatabase_AdminConnectsOverTcp_AndProvisioningAgainReturnsTheSame()
    {
        var id = fixture.NewInstance();

        var (allocation, endpoint, access) = await ProvisionAll(id);

        Assert.Equal("127.0.0.1", endpoint.Host);
        Assert.Equal(new DatabaseAccess(Database, Admin), access);
        await using (var connection = await ConnectAsAdmin(endpoint, Password))
        {
            Assert.Equal(Database, await Scalar<string>(connection, "SELECT current_database()"));
            await Scalar<int>(connection, "CREATE TABLE things (id int); SELECT 1");
        }
        Assert.Equal(allocation, await fixture.Storage.Provision(id, 1024, None));
        Assert.Equal(endpoint, await fixture.Server.Provision(id, LocalBackendFixture.NoSettings, None));
        Assert.Equal(access, await fixture.Database.Provision(id, Database, Admin, "new password", None));
        await using (var connection = await ConnectAsAdmin(endpoint, "new password"))
            Assert.Equal(0L, await Scalar<long>(connection, "SELECT count(*) FROM things"));
    }

    [Fact]
    public async Task Deprovision_DatabaseServerStorage_StopsTheServerAndRemovesItsData_AndTwiceIsFine()
    {
        var id = fixture.NewInstance();
        var (allocation, endpoint, _) = await ProvisionAll(id);
        var pid = ServerProcess.PostmasterPid(allocation.DataDirectory);

        for (var attempt = 0; attempt < 2; attempt++)
        {
            await fixture.Database.Deprovision(id, Database, Admin, serverStays: false, None);
            await fixture.Server.Deprovision(id, None);
            await fixture.Storage.Deprovision(id, None);
        }

        Assert.False(await ServerProcess.Answers(endpoint.Port));
        Assert.True(ServerProcess.IsGone(pid));
        Assert.False(Directory.Exists(allocation.DataDirectory));
        Assert.False(await fixture.Server.IsRunning(id, None));
    }

    [Fact]
    public async Task DeprovisionDatabase_OnAServerThatStays_FailsWhileTheServerIsDown_InsteadOfLeavingTheDatabase()
    {
        var id = fixture.NewInstance();
        await fixture.Storage.Provision(id, 1024, None);
        await fixture.Server.Provision(id, LocalBackendFixture.NoSettings, None);
        await fixture.Database.Provision(id, Database, Admin, Password, None);
        await fixture.Server.Deprovision(id, None);

        var failure = await Assert.ThrowsAsync<BackendException>(() => fixture.Database.Deprovision(id, Database, Admin, serverStays: true, None));
        Assert.Contains("does not answer", failure.Message);
        await fixture.Database.Deprovision(id, Database, Admin, serverStays: false, None);
        await fixture.Storage.Deprovision(id, None);
    }

    [Fact]
    public async Task Provision_TwoInstancesConcurrently_GetDifferentPorts()
    {
        var (first, second) = (fixture.NewInstance(), fixture.NewInstance());

        var endpoints = await Task.WhenAll(ProvisionServer(first), ProvisionServer(second));

        Assert.NotEqual(endpoints[0].Port, endpoints[1].Port);
        Assert.True(await fixture.Server.IsRunning(first, None));
        Assert.True(await fixture.Server.IsRunning(second, None));
    }

    [Fact]
    public async Task Server_OutlivesItsStarter_AndResurrectStoppedRestartsAKilledPostmasterWithItsData()
    {
        var id = fixture.NewInstance();
        var (allocation, endpoint, _) = await ProvisionAll(id);
        await using (var connection = await ConnectAsAdmin(endpoint, Password))
            await Scalar<int>(connection, "CREATE TABLE survivors (name text); INSERT INTO survivors VALUES ('kept'); SELECT 1");

        var restartedBroker = fixture.NewServerBackend();
        Assert.True(await restartedBroker.IsRunning(id, None));
        Assert.Equal(endpoint, await restartedBroker.Provision(id, LocalBackendFixture.NoSettings, None));

        var pid = ServerProcess.PostmasterPid(allocation.DataDirectory);
        Process.GetProcessById(pid).Kill();
        await Eventually.True(async () => !await restartedBroker.IsRunning(id, None), "the killed server stops counting as running");

        Assert.Equal(1, await restartedBroker.ResurrectStopped(None));
        Assert.True(await restartedBroker.IsRunning(id, None));
        Assert.NotEqual(pid, ServerProcess.PostmasterPid(allocation.DataDirectory));
        await using (var connection = await ConnectAsAdmin(endpoint, Password))
            Assert.Equal("kept", await Scalar<string>(connection, "SELECT name FROM survivors"));
        Assert.Equal(0, await restartedBroker.ResurrectStopped(None));
    }

    private async Task<(StorageAllocation, ServerEndpoint, DatabaseAccess)> ProvisionAll(Guid id)
    {
        var allocation = await fixture.Storage.Provision(id, 1024, None);
        var endpoint = await fixture.Server.Provision(id, LocalBackendFixture.NoSettings, None);
        var access = await fixture.Database.Provision(id, Database, Admin, Password, None);
        return (allocation, endpoint, access);
    }

    private async Task<ServerEndpoint> ProvisionServer(Guid id)
    {
        await fixture.Storage.Provision(id, 512, None);
        return await fixture.Server.Provision(id, LocalBackendFixture.NoSettings, None);
    }

    private static async Task<NpgsqlConnection> ConnectAsAdmin(ServerEndpoint endpoint, string password)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = endpoint.Host, Port = endpoint.Port, Database = Database, Username = Admin, Password = password, Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
