using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using Npgsql;

namespace EventSourced.Broker.Tests.EndToEnd;

/// <summary>The whole flow against the real HTTP API, RabbitMQ, PostgreSQL and dedicated server processes.</summary>
public sealed class ProvisioningEndToEndTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private HttpClient Client => fixture.Broker.Client;

    [Fact]
    public async Task Provision_ConnectAsAdmin_Deprovision_Then410AndTheServerIsGone()
    {
        var instanceId = Guid.NewGuid();
        var accepted = await Client.Provision(instanceId);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.False(string.IsNullOrEmpty((string?)(await accepted.Json())["operation"]));

        var provisioned = await Client.PollUntilDone(instanceId);
        Assert.True(provisioned.State == "succeeded", $"{provisioned}\n{fixture.Broker.Output}");

        var (server, database, password) = await AdminAccess(instanceId);
        await using (var connection = new NpgsqlConnection(
            $"Host={server.Host};Port={server.Port};Database={database.Database};Username={database.AdminUsername};Password={password};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand("CREATE TABLE notes (id int); INSERT INTO notes VALUES (41); SELECT id + 1 FROM notes", connection);
            Assert.Equal(42, await query.ExecuteScalarAsync());
        }
        await fixture.AssertSecretNowhere(password);
        var postmaster = PostmasterPid(instanceId);
        Assert.True(ProcessAlive(postmaster));

        Assert.Equal(HttpStatusCode.Accepted, (await Client.Deprovision(instanceId)).StatusCode);
        var gone = await Client.PollUntilDone(instanceId);
        Assert.True(gone.Status == HttpStatusCode.Gone, $"{gone}\n{fixture.Broker.Output}");
        Assert.False(ProcessAlive(postmaster));
        Assert.False(Directory.Exists(Path.Combine(fixture.Environment.DataRoot, instanceId.ToString())));
        // Nothing listens on the port any more: the connection is refused (a failed login would mean a server is still there).
        var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(async () =>
        {
            await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={server.Port};Username=x;Password=y;Timeout=2;Pooling=false");
            await connection.OpenAsync();
        });
        Assert.IsNotType<PostgresException>(refused);
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused,
            Assert.IsType<System.Net.Sockets.SocketException>(refused.InnerException).SocketErrorCode);
    }

    private async Task<(ServerInfo Server, DatabaseInfo Database, string Password)> AdminAccess(Guid instanceId)
    {
        var state = ServiceInstance.Fold(await fixture.Environment.InstanceEvents(instanceId));
        var password = new SecretProtector(fixture.Environment.SecretKey).Unprotect(state.Database!.EncryptedAdminPassword);
        return (state.Server!, state.Database, password);
    }

    private int PostmasterPid(Guid instanceId) =>
        int.Parse(File.ReadLines(Path.Combine(fixture.Environment.DataRoot, instanceId.ToString(), "pgdata", "postmaster.pid")).First());

    /// <summary>Alive = /proc entry exists and is not a zombie (PID 1 here does not reap children).</summary>
    private static bool ProcessAlive(int pid)
    {
        var status = $"/proc/{pid}/status";
        return File.Exists(status) && !File.ReadLines(status).Any(line => line.StartsWith("State:") && line.Contains('Z'));
    }
}
