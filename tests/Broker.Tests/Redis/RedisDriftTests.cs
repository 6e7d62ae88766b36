using EventSourced.Broker.Tests.Clusters;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Broker.Tests.Snapshots;
using static EventSourced.Broker.Tests.Admin.DedicatedServers;

namespace EventSourced.Broker.Tests.Redis;

/// <summary>
/// The drift check looks into Redis instances too (real servers, the resurrector off so a dead server stays dead): a
/// redis-server gone behind the broker's back, then its data directory, are reported by <c>GET /admin/drift</c>.
/// </summary>
public sealed class RedisDriftTests(RedisDriftTests.RedisWithoutResurrector fixture) : IClassFixture<RedisDriftTests.RedisWithoutResurrector>
{
    public sealed class RedisWithoutResurrector : BrokerFixture
    {
        protected override IReadOnlyDictionary<string, string> Settings =>
            new Dictionary<string, string>(RedisOsb.Enabled()) { ["Provisioners__Local__Resurrector__Enabled"] = "false" };
    }

    [Fact]
    public async Task AKilledRedisServer_ThenItsRemovedDataDirectory_AreReportedAsDrift_AndKept()
    {
        var instanceId = Guid.NewGuid();
        var port = await fixture.Broker.ProvisionRedis(fixture.Environment, instanceId);
        var directory = Path.Combine(fixture.Environment.DataRoot, instanceId.ToString("D"), "redis");
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "redis.pid")));

        using (var process = System.Diagnostics.Process.GetProcessById(pid)) process.Kill();
        await Until(() => Task.FromResult(IsGone(pid)), $"redis-server {pid} gone after SIGKILL");
        var killed = await DriftOf(fixture.Broker, instanceId);
        Assert.Equal(["MissingServer"], Kinds(killed));
        Assert.Equal($"the log says its server runs on port {port}; no redis-server runs", (string?)killed[0]!["description"]);

        Directory.Delete(directory, recursive: true);
        var removed = await DriftOf(fixture.Broker, instanceId);
        Assert.Equal(["MissingDataDirectory", "MissingServer"], Kinds(removed));
        Assert.Contains(removed, d => ((string?)d!["description"])!.EndsWith("holds no redis data directory (redis/)"));
        Assert.True(Directory.Exists(Path.GetDirectoryName(directory)), "report only: the instance's folder is kept");

        await (await fixture.Broker.Client.DeprovisionRedis(instanceId)).AcceptedOperation();
        await fixture.Broker.Client.IsGone(instanceId, () => fixture.Broker.Output);
    }
}
