using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Clusters;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.IntegrationEvents;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends.Local.Redis;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Redis;

/// <summary>
/// The Redis provisioner on real servers, through the same saga, events and projections as PostgreSQL: a dedicated
/// redis-server per instance, a user of its own per binding, data that outlives the server's process.
/// </summary>
public sealed class RedisEndToEndTests(RedisEndToEndTests.RedisBroker fixture) : IClassFixture<RedisEndToEndTests.RedisBroker>
{
    private BrokerEnvironment _environment => fixture.Environment;
    private BrokerProcess _broker => fixture.Broker;

    /// <summary>A broker on the local backend with the Redis provisioner on, its resurrector checking every second.</summary>
    public sealed class RedisBroker : IAsyncLifetime
    {
        public BrokerEnvironment Environment { get; private set; } = null!;
        public BrokerProcess Broker { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Assert.True(File.Exists("/usr/bin/redis-server"), "redis-server is not installed (infra/up installs it: apt-get install redis-server)");
            var settings = RedisOsb.Enabled();
            settings["Provisioners__Local__Resurrector__Interval"] = "00:00:01";
            Environment = await BrokerEnvironment.Create(settings);
            Broker = await BrokerProcess.Start(Environment);
        }

        public async Task DisposeAsync()
        {
            await Broker.DisposeAsync();
            await Environment.DisposeAsync();
        }
    }

    [Fact]
    public async Task ProvisionBindUseUnbindDeprovision_OnADedicatedRedisServer()
    {
        var client = _broker.Client;
        var instanceId = Guid.NewGuid();
        await using var subscriber = await DfeSubscriber.Connect(_environment.VirtualHost.Name);
        await (await client.ProvisionRedis(instanceId, new { maxmemory_policy = "allkeys-lru" })).AcceptedOperation();
        await client.Succeeds(instanceId, () => _broker.Output);

        // The same saga's steps, without a database: storage, then server, then done.
        var events = await _environment.InstanceEvents(instanceId);
        Assert.Contains(events, e => e is StorageProvisioned);
        Assert.DoesNotContain(events, e => e is DatabaseProvisioned);
        var server = Assert.Single(events.OfType<ServerProvisioned>());
        var directory = Path.Combine(_environment.DataRoot, instanceId.ToString("D"));
        Assert.Contains("maxmemory-policy allkeys-lru", await File.ReadAllTextAsync(Path.Combine(directory, "redis", "redis.conf")));

        // Outsiders hear of it with the provisioner's resource URI (never a credential in it).
        var provisioned = await Eventually.Until(
            () => Task.FromResult(subscriber.Received.FirstOrDefault(m => m.RoutingKey == "dfe.provisioned" && m.Body.Contains(instanceId.ToString()))),
            message => message is not null, "dfe.provisioned of the redis instance", 30, () => _broker.Output);
        Assert.Equal($"redis://127.0.0.1:{server.Port}", (string?)JsonNode.Parse(provisioned!.Body)!["resourceUri"]);

        // Nobody gets in without credentials.
        Assert.StartsWith("NOAUTH", Assert.IsType<RespError>(await RedisOsb.Run(server.Port, null, "PING")).Message);

        var (bindingA, bindingB) = (Guid.NewGuid(), Guid.NewGuid());
        var a = await client.BindRedis(instanceId, bindingA);
        var b = await client.BindRedis(instanceId, bindingB);
        var userA = ((string)a["username"]!, (string)a["password"]!);
        var userB = ((string)b["username"]!, (string)b["password"]!);
        Assert.Equal(server.Port, (int)a["port"]!);
        Assert.Equal($"redis://{userA.Item1}:{userA.Item2}@127.0.0.1:{server.Port}", (string)a["uri"]!);

        var fetched = await (await client.GetAsync($"/v2/service_instances/{instanceId}/service_bindings/{bindingA}")).AssertStatus(HttpStatusCode.OK);
        Assert.Equal((string)a["uri"]!, (string)fetched["credentials"]!["uri"]!);
        // The dashboard shows where consoles talk to it.
        var instance = await (await client.GetAsync($"/v2/service_instances/{instanceId}")).AssertStatus(HttpStatusCode.OK);
        Assert.Contains($"redis://127.0.0.1:{server.Port}", await client.GetStringAsync((string)instance["dashboard_url"]!));

        Assert.Equal("OK", await RedisOsb.Run(server.Port, userA, "SET", "greeting", "hello"));
        Assert.Equal("hello", await RedisOsb.Run(server.Port, userB, "GET", "greeting"));
        // Another binding's password is not this user's; the server's administration is not the bindings'.
        Assert.StartsWith("WRONGPASS", Assert.IsType<RespError>(await RedisOsb.Run(server.Port, (userA.Item1, userB.Item2), "PING")).Message);
        Assert.StartsWith("NOPERM", Assert.IsType<RespError>(await RedisOsb.Run(server.Port, userA, "CONFIG", "GET", "maxmemory-policy")).Message);

        // An update of the offering's choice reaches the running server (CONFIG SET) and its configuration for the next start.
        await (await client.PatchAsJsonAsync($"/v2/service_instances/{instanceId}?accepts_incomplete=true",
            new { service_id = RedisOsb.ServiceId, parameters = new { maxmemory_policy = "noeviction" } })).AcceptedOperation();
        await client.Succeeds(instanceId, () => _broker.Output);
        Assert.Contains("maxmemory-policy noeviction", await File.ReadAllTextAsync(Path.Combine(directory, "redis", "redis.conf")));
        var admin = (RedisServerBackend.AdminUser, new EventSourced.Commands.Secrets.SecretProtector(_environment.SecretKey).DerivePassword($"redis-admin/{instanceId:D}"));
        var policy = Assert.IsType<object?[]>(await RedisOsb.Run(server.Port, admin, "CONFIG", "GET", "maxmemory-policy"));
        Assert.Equal("noeviction", policy[1]);

        // SIGKILLed, the server is started again by the resurrector, with its data (append-only file) and its users.
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "redis", "redis.pid")));
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        await Eventually.Until(() => TryRun(server.Port, userB, "GET", "greeting"), reply => reply is "hello",
            "the killed redis server answers again with its data", 60, () => _broker.Output);
        // Recorded once the server answers again: the resurrector starts the server first.
        await Eventually.True(async () => (await _environment.InstanceEvents(instanceId)).Any(e => e is ServerResurrected),
            "ServerResurrected is in the instance's stream", 30, () => _broker.Output);

        await client.UnbindRedis(instanceId, bindingA);
        Assert.StartsWith("WRONGPASS", Assert.IsType<RespError>(await RedisOsb.Run(server.Port, userA, "PING")).Message);
        Assert.Equal("hello", await RedisOsb.Run(server.Port, userB, "GET", "greeting"));

        var running = int.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "redis", "redis.pid")));
        await (await client.DeprovisionRedis(instanceId)).AcceptedOperation();
        await client.IsGone(instanceId, () => _broker.Output);
        Assert.False(IsRedisServer(running), $"redis-server {running} still runs after the deprovision");
        Assert.False(Directory.Exists(directory), $"{directory} is still there after the deprovision");
    }

    [Fact]
    public async Task Provision_OfferingValueOutsideItsChoices_Is400AndRecordsNothing()
    {
        var response = await _environment.Refused(_broker.Client,
            client => client.ProvisionRedis(Guid.NewGuid(), new { maxmemory_policy = "volatile-everything" }));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("maxmemory_policy", (string)body["description"]!);
    }

    [Fact]
    public async Task Catalog_OffersRedisWithItsChoicesInThePlanSchema()
    {
        var catalog = await (await _broker.Client.GetAsync("/v2/catalog")).AssertStatus(HttpStatusCode.OK);

        var redis = catalog["services"]!.AsArray().Single(s => (string)s!["id"]! == RedisOsb.ServiceId)!;
        Assert.Equal("redis-on-demand", (string)redis["name"]!);
        Assert.True((bool)redis["bindable"]!);
        var choices = redis["plans"]![0]!["schemas"]!["service_instance"]!["create"]!["parameters"]!["properties"]!["maxmemory_policy"]!["enum"]!;
        Assert.Contains("allkeys-lru", choices.AsArray().Select(v => (string)v!));
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

    private static bool IsRedisServer(int pid) =>
        File.Exists($"/proc/{pid}/status")
        && File.ReadLines($"/proc/{pid}/status").Any(line => line.StartsWith("Name:") && line.Contains("redis-server"))
        && !File.ReadLines($"/proc/{pid}/status").Any(line => line.StartsWith("State:") && line.Contains('Z'));
}
