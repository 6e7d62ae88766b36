using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.IntegrationEvents;
using EventSourced.Broker.Tests.Ops;
using EventSourced.Broker.Tests.Clusters;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Broker.Tests.Redis;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends.Local.Redis;
using EventSourced.Provisioners.Snapshots;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Snapshots;

/// <summary>A broker with the Redis provisioner on (its resurrector checking every second), and one exported Redis instance.</summary>
public sealed class RedisSnapshotFixture : BrokerFixture
{
    private Task<(Guid Source, Guid SnapshotId, SortedDictionary<string, string> Data)>? _snapshot;

    protected override IReadOnlyDictionary<string, string> Settings =>
        new Dictionary<string, string>(RedisOsb.Enabled()) { ["Provisioners__Local__Resurrector__Interval"] = "00:00:01" };

    /// <summary>A Redis instance filled with <see cref="RedisData"/> (made once), a snapshot of it, and its data as read.</summary>
    public Task<(Guid Source, Guid SnapshotId, SortedDictionary<string, string> Data)> Snapshot() => _snapshot ??= MakeSnapshot();

    private async Task<(Guid, Guid, SortedDictionary<string, string>)> MakeSnapshot()
    {
        var source = Guid.NewGuid();
        var port = await this.ProvisionRedis(source);
        var login = await this.BindRedis(source);
        await RedisData.Fill(port, login);
        var (job, snapshotId) = await Broker.OpsClient.Export(source);
        var exported = await Broker.OpsClient.JobWhenFinished(job, details: () => Broker.Output);
        Assert.True((string?)exported["state"] == "succeeded", $"{exported}\n{Broker.Output}");
        return (source, snapshotId, await RedisData.Read(port, login));
    }
}

/// <summary>
/// Export and import of dedicated Redis instances on real servers: the snapshot holds the dataset as an RDB file, and an
/// import serves every key of it (type, value, expiry), from its append-only file after a restart too. An altered archive,
/// or a snapshot of the other provisioner, is refused before anything is recorded.
/// </summary>
public sealed class RedisSnapshotTests(RedisSnapshotFixture fixture) : IClassFixture<RedisSnapshotFixture>
{
    private HttpClient Ops => fixture.Broker.OpsClient;

    [Fact]
    public async Task ExportThenImport_ServesEveryKey_ThroughANewBinding_AfterAKilledServer_TellsDfe_AndDeprovisionLeavesNothing()
    {
        await using var subscriber = await DfeSubscriber.Connect(fixture.Environment.VirtualHost.Name);
        var source = Guid.NewGuid();
        var sourcePort = await fixture.ProvisionRedis(source);
        var writer = await fixture.BindRedis(source);
        await RedisData.Fill(sourcePort, writer);
        var expected = await RedisData.Read(sourcePort, writer);
        Assert.True(expected.Count > 3000, $"{expected.Count} keys");

        var (exportJob, snapshotId) = await Ops.Export(source);
        var exported = await Ops.JobWhenFinished(exportJob, details: () => fixture.Broker.Output);
        Assert.True((string?)exported["state"] == "succeeded", $"{exported}\n{fixture.Broker.Output}");
        Assert.Equal($"Exported snapshot {snapshotId}", (string?)exported["description"]);

        // The archive: the manifest naming the instance and the Redis version, and the dataset as an RDB file.
        var recorded = (await fixture.Environment.InstanceEvents(source)).OfType<SnapshotExported>().Single(e => e.SnapshotId == snapshotId);
        var version = await RedisVersion(source, sourcePort);
        var (manifest, rdb) = await Unpack(recorded.Path);
        Assert.Equal((snapshotId, source, RedisOsb.ServiceId, RedisOsb.PlanId, "redis"), (manifest.SnapshotId, manifest.InstanceId, manifest.ServiceId, manifest.PlanId, manifest.Provisioner));
        Assert.Equal(("redis", version), (manifest.Software, manifest.SoftwareVersion));
        Assert.Equal("dump.rdb", Assert.Single(manifest.Members).Name);
        Assert.Equal("REDIS"u8.ToArray(), rdb[..5]);
        Assert.Equal($"redis {version}", (string?)(await Ops.Snapshot(snapshotId))["softwareVersion"]);

        var imported = Guid.NewGuid();
        var importJob = await (await Ops.ImportJob(new { ownerId = "importer", instanceId = imported, snapshotId })).JobId();
        var import = await Ops.JobWhenFinished(importJob, details: () => fixture.Broker.Output);
        Assert.True((string?)import["state"] == "succeeded", $"{import}\n{fixture.Broker.Output}");
        Assert.Equal($"Imported from snapshot {snapshotId}", (string?)import["description"]);
        var importedPort = (await fixture.Environment.InstanceEvents(imported)).OfType<ServerProvisioned>().Single().Port;
        var reader = await fixture.BindRedis(imported);
        Assert.Equal(expected, await RedisData.Read(importedPort, reader));

        // SIGKILLed, the imported server is started again by the resurrector from its append-only file, not from the snapshot's RDB.
        var directory = Path.Combine(fixture.Environment.DataRoot, imported.ToString("D"));
        var pid = RedisPid(imported)!.Value;
        using (var process = System.Diagnostics.Process.GetProcessById(pid)) process.Kill();
        await Eventually.True(() => EventSourced.Broker.Tests.Admin.DedicatedServers.IsGone(pid), $"redis-server {pid} is gone after SIGKILL", 30);
        File.Delete(Path.Combine(directory, "redis", "dump.rdb"));
        await Eventually.True(async () => RedisPid(imported) is { } restarted && restarted != pid && await Answers(importedPort, reader),
            "the killed redis server of the imported instance answers again", 60, () => fixture.Broker.Output);
        Assert.Equal(expected, await RedisData.Read(importedPort, reader));

        // Outsiders hear of the export and the import, from the ops API, and of no database (Redis has none).
        bool Ours(DfeMessage m) => m.RoutingKey.Contains("ported") && (string?)JsonNode.Parse(m.Body)!["snapshotId"] == snapshotId.ToString();
        var told = await Eventually.Until(() => Task.FromResult(subscriber.Received.Where(Ours).ToList()),
            received => new[] { "dfe.exported", "dfe.imported" }.All(name => received.Any(m => m.RoutingKey == name)), "the snapshot's dfe events", 60);
        Assert.Equal(["dfe.exported", "dfe.imported"], told.Select(m => m.RoutingKey).Distinct().Order());
        foreach (var message in told)
        {
            var body = JsonNode.Parse(message.Body)!;
            Assert.Equal("ops", (string?)body["requestingService"]!["platform"]);
            Assert.Equal(fixture.Environment.OpsUsername, (string?)body["requestingService"]!["user"]);
            Assert.Equal(message.RoutingKey == "dfe.exported" ? "export" : "import", (string?)body["request"]!["kind"]);
        }
        Assert.Equal($"redis://127.0.0.1:{importedPort}", (string?)JsonNode.Parse(told.Single(m => m.RoutingKey == "dfe.imported").Body)!["resourceUri"]);

        var servers = new[] { RedisPid(source)!.Value, RedisPid(imported)!.Value };
        foreach (var instance in new[] { source, imported })
        {
            await (await fixture.Broker.Client.DeprovisionRedis(instance)).AcceptedOperation();
            await fixture.Broker.Client.IsGone(instance, () => fixture.Broker.Output);
            Assert.False(Directory.Exists(Path.Combine(fixture.Environment.DataRoot, instance.ToString("D"))), $"the directory of {instance} is left");
        }
        foreach (var server in servers) Assert.True(EventSourced.Broker.Tests.Admin.DedicatedServers.IsGone(server), $"redis-server {server} still runs");
    }

    [Fact]
    public async Task OsbUpdateExports_OsbRestoreFromSnapshot_AndCliImport_ServeEveryKey()
    {
        var (source, _, expected) = await fixture.Snapshot();
        var update = await fixture.Broker.Client.PatchAsJsonAsync($"/v2/service_instances/{source}?accepts_incomplete=true",
            new { service_id = RedisOsb.ServiceId, parameters = new { export = true } });
        Assert.True(update.StatusCode == HttpStatusCode.Accepted, await update.Content.ReadAsStringAsync());
        var exported = await fixture.Broker.Client.PollUntilDone(source, details: () => fixture.Broker.Output);
        Assert.True(exported.State == "succeeded", $"{exported}\n{fixture.Broker.Output}");
        Assert.StartsWith("Exported snapshot ", exported.Description);
        var snapshotId = Guid.Parse(exported.Description!["Exported snapshot ".Length..]);

        var restored = Guid.NewGuid();
        await (await fixture.Broker.Client.ProvisionRedis(restored, new { restore_from_snapshot = snapshotId.ToString() })).AcceptedOperation();
        var done = await fixture.Broker.Client.PollUntilDone(restored, details: () => fixture.Broker.Output);
        Assert.True(done.State == "succeeded", $"{done}\n{fixture.Broker.Output}");
        Assert.Equal($"Imported from snapshot {snapshotId}", done.Description);
        Assert.Equal(expected, await RedisData.Read(await PortOf(restored), await fixture.BindRedis(restored)));

        var cliImported = Guid.NewGuid();
        var cli = await EventSourced.Broker.Tests.Ops.Cli.Against(fixture.Broker, fixture.Environment, "import", "cli-owner", cliImported.ToString(), snapshotId.ToString());
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.Contains("import succeeded", cli.Output);
        Assert.Equal(expected, await RedisData.Read(await PortOf(cliImported), await fixture.BindRedis(cliImported)));
    }

    [Fact]
    public async Task AlteredRedisArchive_IsRefusedWith422_AndNothingIsCreated()
    {
        var (source, _, _) = await fixture.Snapshot();
        var (job, snapshotId) = await Ops.Export(source, destination: "to-alter");
        Assert.Equal("succeeded", (string?)(await Ops.JobWhenFinished(job, details: () => fixture.Broker.Output))["state"]);
        var archive = (await fixture.Environment.InstanceEvents(source)).OfType<SnapshotExported>().Single(e => e.SnapshotId == snapshotId).Path;
        await FlipAByteOfTheRdb(archive);

        var viaOps = Guid.NewGuid();
        var refused = await fixture.Environment.Refused(Ops, c => c.ImportJob(new { ownerId = "importer", instanceId = viaOps, snapshotId }));
        var text = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains("'dump.rdb' does not match the manifest", text);
        var viaOsb = Guid.NewGuid();
        var osb = await fixture.Environment.Refused(fixture.Broker.Client,
            c => c.ProvisionRedis(viaOsb, new { restore_from_snapshot = snapshotId.ToString() }));
        Assert.True(osb.StatusCode == HttpStatusCode.UnprocessableEntity, await osb.Content.ReadAsStringAsync());
        foreach (var id in new[] { viaOps, viaOsb })
        {
            Assert.Empty(await fixture.Environment.InstanceEvents(id));
            Assert.False(Directory.Exists(Path.Combine(fixture.Environment.DataRoot, id.ToString("D"))));
        }
    }

    [Fact]
    public async Task SnapshotOfTheOtherProvisioner_IsRefusedWith422_BothWays_AndNothingIsCreated()
    {
        var (_, redisSnapshot, _) = await fixture.Snapshot();
        var postgres = Guid.NewGuid();
        var provisioned = await Ops.JobWhenFinished(await (await Ops.ProvisionJob(new { ownerId = "owner", instanceId = postgres, serviceId = Hosting.Osb.ServiceId })).JobId(),
            details: () => fixture.Broker.Output);
        Assert.True((string?)provisioned["state"] == "succeeded", $"{provisioned}\n{fixture.Broker.Output}");
        var (job, postgresSnapshot) = await Ops.Export(postgres);
        Assert.Equal("succeeded", (string?)(await Ops.JobWhenFinished(job, details: () => fixture.Broker.Output))["state"]);

        foreach (var (snapshotId, intoService) in new[] { (postgresSnapshot, RedisOsb.ServiceId), (redisSnapshot, Hosting.Osb.ServiceId) })
        {
            var viaOps = Guid.NewGuid();
            var refused = await fixture.Environment.Refused(Ops,
                c => c.ImportJob(new { ownerId = "importer", instanceId = viaOps, snapshotId, serviceId = intoService }));
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains($"cannot be imported into service '{intoService}'", text);

            var viaOsb = Guid.NewGuid();
            var parameters = new { restore_from_snapshot = snapshotId.ToString() };
            var osb = await fixture.Environment.Refused(fixture.Broker.Client, c => intoService == RedisOsb.ServiceId
                ? c.ProvisionRedis(viaOsb, parameters)
                : c.Provision(viaOsb, Hosting.Osb.ProvisionBody(parameters: parameters)));
            var osbText = await osb.Content.ReadAsStringAsync();
            Assert.True(osb.StatusCode == HttpStatusCode.UnprocessableEntity, osbText);
            Assert.Contains($"not '{intoService}'", osbText);
            foreach (var id in new[] { viaOps, viaOsb }) Assert.False(Directory.Exists(Path.Combine(fixture.Environment.DataRoot, id.ToString("D"))));
        }

        // A PostgreSQL archive whose manifest was edited to pass for a Redis snapshot (its members still match it): refused too.
        var archive = (await fixture.Environment.InstanceEvents(postgres)).OfType<SnapshotExported>().Single(e => e.SnapshotId == postgresSnapshot).Path;
        await Rewrite(archive, (name, data) =>
        {
            if (name != SnapshotManifest.FileName) return data;
            var forgery = JsonNode.Parse(data)!.AsObject();
            (forgery["serviceId"], forgery["planId"], forgery["provisioner"], forgery["software"]) = (RedisOsb.ServiceId, RedisOsb.PlanId, "redis", "redis");
            return System.Text.Encoding.UTF8.GetBytes(forgery.ToJsonString());
        });
        var forged = Guid.NewGuid();
        var forgedRefusal = await fixture.Environment.Refused(Ops, c => c.ImportJob(new { ownerId = "importer", instanceId = forged, snapshotId = postgresSnapshot }));
        var forgedText = await forgedRefusal.Content.ReadAsStringAsync();
        Assert.True(forgedRefusal.StatusCode == HttpStatusCode.UnprocessableEntity, forgedText);
        Assert.Contains("is not the one exported", forgedText);
        var forgedOsb = await fixture.Environment.Refused(fixture.Broker.Client,
            c => c.ProvisionRedis(forged, new { restore_from_snapshot = postgresSnapshot.ToString() }));
        Assert.True(forgedOsb.StatusCode == HttpStatusCode.UnprocessableEntity, await forgedOsb.Content.ReadAsStringAsync());
        Assert.False(Directory.Exists(Path.Combine(fixture.Environment.DataRoot, forged.ToString("D"))));
    }

    private async Task<int> PortOf(Guid instanceId) =>
        (await fixture.Environment.InstanceEvents(instanceId)).OfType<ServerProvisioned>().Single().Port;

    /// <summary>The PID in the server's redis.pid (null while it is being written).</summary>
    private int? RedisPid(Guid instanceId) =>
        int.TryParse(File.ReadAllText(Path.Combine(fixture.Environment.DataRoot, instanceId.ToString("D"), "redis", "redis.pid")).Trim(), out var pid) ? pid : null;

    private async Task<string> RedisVersion(Guid instanceId, int port)
    {
        var admin = (RedisServerBackend.AdminUser, new SecretProtector(fixture.Environment.SecretKey).DerivePassword($"redis-admin/{instanceId:D}"));
        var info = (string)(await RedisOsb.Run(port, admin, "INFO", "server"))!;
        return info.Split("\r\n").Single(line => line.StartsWith("redis_version:"))["redis_version:".Length..];
    }

    private static async Task<bool> Answers(int port, (string, string) login)
    {
        try
        {
            await using var connection = await RedisConnection.Open(port, login);
            return (await connection.Pipeline([["PING"]]))[0] is "PONG";
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or Xunit.Sdk.XunitException)
        {
            return false;
        }
    }

    private static async Task<(SnapshotManifest Manifest, byte[] Rdb)> Unpack(string archive)
    {
        var staging = Directory.CreateTempSubdirectory("redis-snapshot-").FullName;
        try
        {
            var manifest = await SnapshotArchive.Verify(archive, staging, CancellationToken.None);
            return (manifest, await File.ReadAllBytesAsync(Path.Combine(staging, "dump.rdb")));
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>One byte of the RDB changed, the manifest kept: a well-formed archive whose member no longer matches it.</summary>
    private static Task FlipAByteOfTheRdb(string archive) => Rewrite(archive, (name, data) =>
    {
        if (name == "dump.rdb") data[data.Length / 2] ^= 0x5A;
        return data;
    });

    /// <summary>Writes the archive again, each member as <paramref name="change"/> makes it (its name and bytes given).</summary>
    private static async Task Rewrite(string archive, Func<string, byte[], byte[]> change)
    {
        var entries = new List<(string Name, byte[] Data)>();
        await using (var input = File.OpenRead(archive))
        await using (var gzip = new GZipStream(input, CompressionMode.Decompress))
        await using (var tar = new TarReader(gzip))
            while (await tar.GetNextEntryAsync(copyData: true) is { } entry)
            {
                using var data = new MemoryStream();
                await entry.DataStream!.CopyToAsync(data);
                entries.Add((entry.Name, change(entry.Name, data.ToArray())));
            }
        await using var output = File.Create(archive);
        await using var gzipOut = new GZipStream(output, CompressionLevel.Fastest);
        await using var writer = new TarWriter(gzipOut, TarEntryFormat.Pax);
        foreach (var (name, data) in entries)
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
    }
}

/// <summary>The OSB calls of a Redis instance the snapshot tests make: provisioned and waited for, bound for its credentials.</summary>
internal static class RedisInstances
{
    public static Task<int> ProvisionRedis(this BrokerFixture fixture, Guid instanceId) => fixture.Broker.ProvisionRedis(fixture.Environment, instanceId);

    public static Task<(string User, string Password)> BindRedis(this BrokerFixture fixture, Guid instanceId) => fixture.Broker.BindRedis(instanceId);

    /// <summary>Provisions through OSB, waits until it succeeded, and answers its server's port.</summary>
    public static async Task<int> ProvisionRedis(this BrokerProcess broker, BrokerEnvironment environment, Guid instanceId)
    {
        await (await broker.Client.ProvisionRedis(instanceId)).AcceptedOperation();
        await broker.Client.Succeeds(instanceId, () => broker.Output);
        return (await environment.InstanceEvents(instanceId)).OfType<ServerProvisioned>().Single().Port;
    }

    /// <summary>A new binding's user and password.</summary>
    public static async Task<(string User, string Password)> BindRedis(this BrokerProcess broker, Guid instanceId)
    {
        var credentials = await broker.Client.BindRedis(instanceId, Guid.NewGuid());
        return ((string)credentials["username"]!, (string)credentials["password"]!);
    }
}
