using EventSourced.Broker.Tests.Clusters;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Broker.Tests.Snapshots;
using EventSourced.Provisioners.Backends.Local.Redis;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Redis;

/// <summary>
/// A plan's CredentialLifetime for Redis bindings (real servers): the binding's user works until its lifetime ends, then
/// AUTH is refused and its open connections are closed, after a restart of the server too; it can still be unbound.
/// </summary>
public sealed class RedisCredentialLifetimeTests(RedisCredentialLifetimeTests.ShortLivedCredentials fixture)
    : IClassFixture<RedisCredentialLifetimeTests.ShortLivedCredentials>
{
    /// <summary>Bindings of the Redis plan valid for 30 s (ample for the checks before it ends), expired users looked for every second.</summary>
    public sealed class ShortLivedCredentials : BrokerFixture
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(RedisOsb.Enabled())
        {
            ["Provisioners__Definitions__redis__Service__Plans__0__CredentialLifetime"] = "00:00:30",
            ["Provisioners__Local__RedisLoginExpiryInterval"] = "00:00:01",
            ["Provisioners__Local__Resurrector__Interval"] = "00:00:01",
        };
    }

    [Fact]
    public async Task BindingUser_WorksUntilItsLifetimeEnds_ThenIsRefusedAndDisconnected_AfterARestartToo_AndUnbinds()
    {
        var instanceId = Guid.NewGuid();
        var port = await fixture.Broker.ProvisionRedis(fixture.Environment, instanceId);
        var bindingId = Guid.NewGuid();
        var credentials = await fixture.Broker.Client.BindRedis(instanceId, bindingId);
        var login = ((string)credentials["username"]!, (string)credentials["password"]!);

        // Within its lifetime: AUTH works, and this connection stays open until the user is turned off.
        await using var open = await RedisConnection.Open(port, login);
        Assert.Equal("OK", (await open.Pipeline([["SET", "k", "v"]]))[0]);

        var refused = await Eventually.Until(() => RedisOsb.Run(port, login, "PING"), reply => reply is RespError,
            "AUTH of the binding's user is refused once its lifetime ended", 120, () => fixture.Broker.Output);
        Assert.StartsWith("WRONGPASS", ((RespError)refused!).Message);
        // Its connection is closed too (CLIENT KILL USER follows ACL SETUSER off, a moment later).
        await Eventually.True(async () =>
        {
            try
            {
                await open.Pipeline([["GET", "k"]]);
                return false;
            }
            catch (Exception e) when (e is IOException or EndOfStreamException or System.Net.Sockets.SocketException)
            {
                return true;
            }
        }, "the connection the binding's user opened is closed", 30, () => fixture.Broker.Output);

        // SIGKILLed and started again by the resurrector, the server still refuses the user (the ACL file says it is off).
        var directory = Path.Combine(fixture.Environment.DataRoot, instanceId.ToString("D"), "redis");
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "redis.pid")));
        using (var process = System.Diagnostics.Process.GetProcessById(pid)) process.Kill();
        await Eventually.True(() => EventSourced.Broker.Tests.Admin.DedicatedServers.IsGone(pid), $"redis-server {pid} is gone after SIGKILL", 30);
        var admin = (RedisServerBackend.AdminUser, new EventSourced.Commands.Secrets.SecretProtector(fixture.Environment.SecretKey).DerivePassword($"redis-admin/{instanceId:D}"));
        await Eventually.Until(() => TryRun(port, admin, "PING"), reply => reply is "PONG", "the killed redis server answers again", 60, () => fixture.Broker.Output);
        Assert.StartsWith("WRONGPASS", Assert.IsType<RespError>(await RedisOsb.Run(port, login, "PING")).Message);

        await fixture.Broker.Client.UnbindRedis(instanceId, bindingId);
        Assert.DoesNotContain($"user {login.Item1} ", await File.ReadAllTextAsync(Path.Combine(directory, "users.acl")));
        await (await fixture.Broker.Client.DeprovisionRedis(instanceId)).AcceptedOperation();
        await fixture.Broker.Client.IsGone(instanceId, () => fixture.Broker.Output);
    }

    private static async Task<object?> TryRun(int port, (string, string) login, params string[] command)
    {
        try
        {
            return await RedisOsb.Run(port, login, command);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException)
        {
            return e.Message;
        }
    }
}
