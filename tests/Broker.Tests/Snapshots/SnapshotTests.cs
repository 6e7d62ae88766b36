using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EventSourced.Broker.Dashboard;
using EventSourced.Broker.Ops;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.IntegrationEvents;
using EventSourced.Broker.Tests.Ops;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.Hosts;
using EventSourced.Provisioners.Snapshots;
using EventSourced.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Tests.Snapshots;

/// <summary>One broker on the local backend and one source instance with data, shared by the snapshot tests.</summary>
public sealed class SnapshotBrokerFixture : BrokerFixture
{
    private Task<Guid>? _source;

    /// <summary>A provisioned instance (made once) holding <see cref="Snapshots.Fill"/>'s tables.</summary>
    public Task<Guid> Source() => _source ??= MakeSource();

    private async Task<Guid> MakeSource()
    {
        var instanceId = Guid.NewGuid();
        var job = await Broker.OpsClient.JobWhenFinished(await (await Broker.OpsClient.ProvisionJob(instanceId, "snapshot-owner")).JobId(),
            details: () => Broker.Output);
        Assert.True((string?)job["state"] == "succeeded", $"{job}\n{Broker.Output}");
        await Snapshots.Fill(await Environment.AdminConnectionString(instanceId), rows: 3000);
        return instanceId;
    }
}

/// <summary>
/// Export and import on real servers: a snapshot restores identical data into a new instance, its archive downloads by a
/// signed link only, expires by retention, and an archive that was altered is refused before anything is recorded.
/// </summary>
public sealed class SnapshotTests(SnapshotBrokerFixture fixture) : IClassFixture<SnapshotBrokerFixture>
{
    private HttpClient Ops => fixture.Broker.OpsClient;

    [Fact]
    public async Task ExportThenImport_RestoresIdenticalData_TellsDfe_DownloadsBySignedLinkOnly_AndExpires()
    {
        await using var subscriber = await DfeSubscriber.Connect(fixture.Environment.VirtualHost.Name);
        var source = await fixture.Source();
        var expected = await Snapshots.Checksums(await fixture.Environment.AdminConnectionString(source));

        var (exportJob, snapshotId) = await Ops.Export(source, destination: "nightly");
        var exported = await Ops.JobWhenFinished(exportJob, details: () => fixture.Broker.Output);
        Assert.True((string?)exported["state"] == "succeeded", $"{exported}\n{fixture.Broker.Output}");
        Assert.Equal("export", (string?)exported["kind"]);
        Assert.Equal($"Exported snapshot {snapshotId}", (string?)exported["description"]);
        Assert.Equal([nameof(SnapshotExportRequested), nameof(SnapshotExported)], exported["steps"]!.AsArray().Select(s => (string)s!["name"]!));

        var snapshot = await Ops.Snapshot(snapshotId);
        Assert.True((bool)snapshot["available"]!, snapshot.ToJsonString());
        var recorded = (await fixture.Environment.InstanceEvents(source)).OfType<SnapshotExported>().Single(e => e.SnapshotId == snapshotId);
        Assert.Equal(Path.Combine(fixture.Environment.DataRoot, "snapshots", "nightly", $"{snapshotId}.tar.gz"), recorded.Path);
        Assert.Equal(recorded.Sha256, (string?)snapshot["sha256"]);
        Assert.StartsWith("postgresql 15", (string?)snapshot["softwareVersion"]);
        var manifest = await ManifestOf(recorded.Path);
        Assert.Equal((snapshotId, source, Hosting.Osb.SmallPlanId), (manifest.SnapshotId, manifest.InstanceId, manifest.PlanId));
        Assert.Equal(SnapshotManifest.DatabaseDump, Assert.Single(manifest.Members).Name);

        // The link opens the archive without credentials; altered or expired, it opens nothing.
        using var anonymous = new HttpClient { BaseAddress = fixture.Broker.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var link = (string)snapshot["downloadUrl"]!;
        var download = await anonymous.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(recorded.Sha256, Convert.ToHexStringLower(SHA256.HashData(await download.Content.ReadAsByteArrayAsync())));
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(link.Replace("sig=", "sig=A"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(link.Replace(snapshotId.ToString(), Guid.NewGuid().ToString()))).StatusCode);
        var signer = new DashboardLinkSigner(new SecretProtector(fixture.Environment.SecretKey).DeriveKey(SnapshotLinks.KeyPurpose));
        var past = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds();
        var expired = await anonymous.GetAsync($"/api/v1/ops/snapshots/{snapshotId}/archive?expires={past}&sig={signer.Sign(snapshotId, past)}");
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync());

        var importedId = Guid.NewGuid();
        var importJob = await (await Ops.ImportJob(new { ownerId = "importer", instanceId = importedId, snapshotId })).JobId();
        var imported = await Ops.JobWhenFinished(importJob, details: () => fixture.Broker.Output);
        Assert.True((string?)imported["state"] == "succeeded", $"{imported}\n{fixture.Broker.Output}");
        Assert.Equal("import", (string?)imported["kind"]);
        Assert.Equal($"Imported from snapshot {snapshotId}", (string?)imported["description"]);
        Assert.Equal("importer", (string?)imported["ownerId"]);
        // The restored tables are the new owner's: its own admin login reads every row of them.
        Assert.Equal(expected, await Snapshots.Checksums(await fixture.Environment.AdminConnectionString(importedId)));
        var osb = await fixture.Broker.Client.LastOperation(importedId);
        Assert.Contains(snapshotId.ToString(), (string?)(await osb.Json())["description"]);

        // Only this snapshot's: the other tests of the class export too, and an export of theirs may end while this one runs.
        bool Ours(DfeMessage m) => m.RoutingKey.Contains("ported") && (string?)JsonNode.Parse(m.Body)!["snapshotId"] == snapshotId.ToString();
        var told = await Eventually.Until(() => Task.FromResult(subscriber.Received.Where(Ours).ToList()),
            received => new[] { "dfe.exported", "dfe.database.exported", "dfe.imported", "dfe.database.imported" }
                .All(name => received.Any(m => m.RoutingKey == name)), "the snapshot's dfe events", seconds: 60);
        foreach (var message in told)
        {
            var body = JsonNode.Parse(message.Body)!;
            Assert.Equal(snapshotId.ToString(), (string?)body["snapshotId"]);
            Assert.Equal("ops", (string?)body["requestingService"]!["platform"]);
            Assert.Equal(fixture.Environment.OpsUsername, (string?)body["requestingService"]!["user"]);
            Assert.Equal(message.RoutingKey.EndsWith("exported") ? "export" : "import", (string?)body["request"]!["kind"]);
        }
        Assert.Equal(4, told.Select(m => m.MessageId).Distinct().Count());

        // Retention: a sweep after the days to keep removes the archive; the snapshot is then neither served nor imported.
        var sweptAt = recorded.ExpiresAt.AddMinutes(1);
        await Sweeper(sweptAt, recorded.Host!).Sweep(CancellationToken.None);
        Assert.False(File.Exists(recorded.Path));
        var swept = await Ops.Snapshot(snapshotId);
        Assert.False((bool)swept["available"]!);
        Assert.NotNull(swept["removedAt"]);
        Assert.Equal(HttpStatusCode.Gone, (await anonymous.GetAsync(link)).StatusCode);
        var refused = await fixture.Environment.Refused(Ops, c => c.ImportJob(new { ownerId = "importer", instanceId = Guid.NewGuid(), snapshotId }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("expired", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Osb_UpdateExports_ProvisionRestores_TheDescriptionsAndDashboardNameTheSnapshot_AndBadParametersRecordNothing()
    {
        var source = await fixture.Source();
        var osb = fixture.Broker.Client;
        var expected = await Snapshots.Checksums(await fixture.Environment.AdminConnectionString(source));

        var update = await osb.PatchAsJsonAsync($"/v2/service_instances/{source}?accepts_incomplete=true",
            new { service_id = Hosting.Osb.ServiceId, parameters = new { export = true } });
        Assert.True(update.StatusCode == HttpStatusCode.Accepted, await update.Content.ReadAsStringAsync());
        var exported = await osb.PollUntilDone(source, details: () => fixture.Broker.Output);
        Assert.True(exported.State == "succeeded", $"{exported}\n{fixture.Broker.Output}");
        Assert.StartsWith("Exported snapshot ", exported.Description);
        var snapshotId = Guid.Parse(exported.Description!["Exported snapshot ".Length..]);
        // The server was not touched: no update of it, only the export.
        Assert.DoesNotContain(await fixture.Environment.InstanceEvents(source), e => e is ServiceInstanceUpdateRequested);

        var restoredId = Guid.NewGuid();
        var provision = await osb.Provision(restoredId, Hosting.Osb.ProvisionBody(parameters: new { restore_from_snapshot = snapshotId.ToString() }));
        Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync());
        var restored = await osb.PollUntilDone(restoredId, details: () => fixture.Broker.Output);
        Assert.True(restored.State == "succeeded", $"{restored}\n{fixture.Broker.Output}");
        Assert.Equal($"Imported from snapshot {snapshotId}", restored.Description);
        Assert.Equal(expected, await Snapshots.Checksums(await fixture.Environment.AdminConnectionString(restoredId)));
        var fetched = await (await osb.GetAsync($"/v2/service_instances/{restoredId}")).Json();
        Assert.Null(fetched["parameters"]);
        using var browser = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        Assert.Contains(snapshotId.ToString(), await browser.GetStringAsync((string)fetched["dashboard_url"]!));

        foreach (var (parameters, status, why) in new (object Parameters, HttpStatusCode Status, string Why)[]
                 {
                     (new { restore_from_snapshot = Guid.NewGuid().ToString() }, HttpStatusCode.BadRequest, "There is no snapshot"),
                     (new { restore_from_snapshot = "../../etc/passwd" }, HttpStatusCode.BadRequest, "must be a snapshot id"),
                     (new { restore_from_snapshot = 7 }, HttpStatusCode.BadRequest, "must be a snapshot id"),
                 })
        {
            var refused = await fixture.Environment.Refused(osb, c => c.Provision(Guid.NewGuid(), Hosting.Osb.ProvisionBody(parameters: parameters)));
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == status, $"{(int)refused.StatusCode} {text}");
            Assert.Contains(why, text);
        }
        foreach (var (parameters, why) in new (object Parameters, string Why)[]
                 {
                     (new { export = "yes" }, "must be true or false"),
                     (new { export = true, max_connections = 50 }, "an update of its own"),
                 })
        {
            var refused = await fixture.Environment.Refused(osb, c => c.PatchAsJsonAsync($"/v2/service_instances/{source}?accepts_incomplete=true",
                new { service_id = Hosting.Osb.ServiceId, parameters }));
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{(int)refused.StatusCode} {text}");
            Assert.Contains(why, text);
        }
    }

    [Fact]
    public async Task Cli_ExportThenImport_FollowEachJob_PrintTheSnapshot_AndExitNonZeroWhenRefused()
    {
        var source = await fixture.Source();

        var export = await EventSourced.Broker.Tests.Ops.Cli.Against(fixture.Broker, fixture.Environment, "export", "--destination", "cli", "--output", "json", source.ToString());

        Assert.True(export.ExitCode == 0, export.ToString());
        var exported = JsonNode.Parse(export.Output)!;
        Assert.Equal(("export", "succeeded"), ((string?)exported["kind"], (string?)exported["state"]));
        var snapshotId = Guid.Parse((string)exported["snapshotId"]!);
        Assert.True((bool)(await Ops.Snapshot(snapshotId))["available"]!);

        var instanceId = Guid.NewGuid();
        var import = await EventSourced.Broker.Tests.Ops.Cli.Against(fixture.Broker, fixture.Environment,
            "import", "--snapshot-id", "--owner-type", "team", "cli-owner", instanceId.ToString(), snapshotId.ToString(), "local");

        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains($"import of instance {instanceId}", import.Output);
        Assert.Contains($"Database created and restored from snapshot {snapshotId}", import.Output);
        Assert.Contains("import succeeded", import.Output);

        var unknown = Guid.NewGuid();
        var refused = await EventSourced.Broker.Tests.Ops.Cli.Against(fixture.Broker, fixture.Environment, "import", "cli-owner", Guid.NewGuid().ToString(), unknown.ToString());
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains($"There is no snapshot {unknown}", refused.Error);
        var traversal = await EventSourced.Broker.Tests.Ops.Cli.Against(fixture.Broker, fixture.Environment, "export", "--destination", "../up", source.ToString());
        Assert.True(traversal.ExitCode == 2, traversal.ToString());
        Assert.Contains("destination must be one folder name", traversal.Error);
    }

    [Theory]
    [InlineData("member-altered", "does not match the manifest")]
    [InlineData("manifest-missing", "has no snapshot.json")]
    [InlineData("truncated", "corrupted")]
    [InlineData("member-added", "does not list")]
    public async Task AlteredArchive_IsRefusedWith422_AndNothingIsRecorded(string damage, string error)
    {
        var source = await fixture.Source();
        var (exportJob, snapshotId) = await Ops.Export(source);
        var exported = await Ops.JobWhenFinished(exportJob, details: () => fixture.Broker.Output);
        Assert.True((string?)exported["state"] == "succeeded", $"{exported}\n{fixture.Broker.Output}");
        var archive = (await fixture.Environment.InstanceEvents(source)).OfType<SnapshotExported>().Single(e => e.SnapshotId == snapshotId).Path;
        await Damage(archive, damage);

        var instanceId = Guid.NewGuid();
        var refused = await fixture.Environment.Refused(Ops, c => c.ImportJob(new { ownerId = "importer", instanceId, snapshotId }));

        var body = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, body);
        Assert.Contains(error, body);
        Assert.Empty(await fixture.Environment.InstanceEvents(instanceId));
        Assert.False(Directory.Exists(Path.Combine(fixture.Environment.DataRoot, instanceId.ToString())));
    }

    [Fact]
    public async Task TwoImportsOfOneInstanceId_FromDifferentSnapshots_OneIsAccepted_TheOtherGets409()
    {
        var source = await fixture.Source();
        var first = await Ops.Export(source);
        Assert.Equal("succeeded", (string?)(await Ops.JobWhenFinished(first.JobId))["state"]);
        var second = await Ops.Export(source);
        Assert.Equal("succeeded", (string?)(await Ops.JobWhenFinished(second.JobId))["state"]);
        var instanceId = Guid.NewGuid();

        var answers = await Task.WhenAll(
            Ops.ImportJob(new { ownerId = "importer", instanceId, snapshotId = first.SnapshotId }),
            Ops.ImportJob(new { ownerId = "importer", instanceId, snapshotId = second.SnapshotId }));

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Conflict], answers.Select(a => a.StatusCode).Order());
        var job = await Ops.JobWhenFinished(await answers.Single(a => a.StatusCode == HttpStatusCode.Accepted).JobId(), details: () => fixture.Broker.Output);
        Assert.True((string?)job["state"] == "succeeded", $"{job}\n{fixture.Broker.Output}");
        var requests = (await fixture.Environment.InstanceEvents(instanceId)).OfType<ServiceInstanceProvisioningRequested>().ToList();
        Assert.Single(requests);
        // The instance restored: a deprovision of it, then an export of it while that runs or after, is refused.
        var deprovision = await (await Ops.DeprovisionJob(instanceId)).JobId();
        var during = await Ops.ExportJob(new { instanceId });
        Assert.Contains(during.StatusCode, new[] { HttpStatusCode.Conflict, HttpStatusCode.NotFound });
        Assert.Equal("succeeded", (string?)(await Ops.JobWhenFinished(deprovision))["state"]);
        Assert.DoesNotContain(await fixture.Environment.InstanceEvents(instanceId), e => e is SnapshotExportRequested);
    }

    [Theory]
    [InlineData("/api/v1/ops/export", """{"instanceId":"not-a-guid"}""", "instanceId must be a GUID")]
    [InlineData("/api/v1/ops/export", """{}""", "instanceId must be a GUID")]
    [InlineData("/api/v1/ops/export", """{"instanceId":"{source}","destination":"../../etc"}""", "destination must be one folder name")]
    [InlineData("/api/v1/ops/export", """{"instanceId":"{source}","destination":"a/b"}""", "destination must be one folder name")]
    [InlineData("/api/v1/ops/export", """{"instanceId":"{source}","destination":".."}""", "destination must be one folder name")]
    [InlineData("/api/v1/ops/export", """{"instanceId":"{source}","destination":".staging"}""", "destination must be one folder name")]
    [InlineData("/api/v1/ops/export", """{"instanceId":"{source}","destination":"/tmp"}""", "destination must be one folder name")]
    [InlineData("/api/v1/ops/export", """{"instanceId":"{source}","daysToKeep":0}""", "daysToKeep must be")]
    [InlineData("/api/v1/ops/export", """{"instanceId":"{source}","daysToKeep":3651}""", "daysToKeep must be")]
    [InlineData("/api/v1/ops/export", """{"instanceId":"{source}","daysToKeep":99999999999999999999}""", "not valid")]
    [InlineData("/api/v1/ops/export", """{"instanceId":"{source}","daysToKeep":1.5}""", "not valid")]
    [InlineData("/api/v1/ops/import", """{"ownerId":"o","instanceId":"{id}","snapshotId":"../../etc/passwd"}""", "snapshotId must be a GUID")]
    [InlineData("/api/v1/ops/import", """{"ownerId":"o","instanceId":"{id}"}""", "snapshotId must be a GUID")]
    [InlineData("/api/v1/ops/import", """{"ownerId":"o","instanceId":"{id}","snapshotId":"{id}"}""", "There is no snapshot")]
    [InlineData("/api/v1/ops/import", """{not json""", "not valid")]
    public async Task HostileInput_IsRefused_AndRecordsNothing(string route, string body, string error)
    {
        var json = body.Replace("{source}", (await fixture.Source()).ToString()).Replace("{id}", Guid.NewGuid().ToString());

        var refused = await fixture.Environment.Refused(Ops, c => c.PostAsync(route, new StringContent(json, System.Text.Encoding.UTF8, "application/json")));

        var text = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{(int)refused.StatusCode} {text}");
        Assert.Contains(error, text);
    }

    private SnapshotSweeper Sweeper(DateTimeOffset now, string host)
    {
        var clock = new FixedClock(now);
        var local = Options.Create(new LocalBackendOptions { DataRoot = fixture.Environment.DataRoot });
        var options = Options.Create(new SnapshotOptions());
        return new SnapshotSweeper(new SnapshotCatalog(fixture.Environment.Store), new SnapshotPaths(options, local),
            new StreamStore(fixture.Environment.Store, clock), options, Options.Create(new WorkerHostOptions { Name = host }), clock,
            NullLogger<SnapshotSweeper>.Instance);
    }

    private static async Task<SnapshotManifest> ManifestOf(string archive)
    {
        var staging = Directory.CreateTempSubdirectory("manifest-").FullName;
        try
        {
            return await SnapshotArchive.Verify(archive, staging, CancellationToken.None);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Damages an archive as a bad disk, a careless copy or an attacker would.</summary>
    private static async Task Damage(string archive, string damage)
    {
        if (damage == "truncated")
        {
            await using var file = File.OpenWrite(archive);
            file.SetLength(file.Length / 2);
            return;
        }
        var entries = new List<(string Name, byte[] Data)>();
        await using (var input = File.OpenRead(archive))
        await using (var gzip = new GZipStream(input, CompressionMode.Decompress))
        await using (var tar = new TarReader(gzip))
            while (await tar.GetNextEntryAsync(copyData: true) is { } entry)
            {
                using var data = new MemoryStream();
                await entry.DataStream!.CopyToAsync(data);
                entries.Add((entry.Name, data.ToArray()));
            }
        entries = damage switch
        {
            // One byte of the dump changed: a valid archive whose member no longer matches its manifest.
            "member-altered" => entries.Select(e => e.Name == SnapshotManifest.DatabaseDump ? (e.Name, Flip(e.Data)) : e).ToList(),
            "manifest-missing" => entries.Where(e => e.Name != SnapshotManifest.FileName).ToList(),
            "member-added" => [.. entries, ("extra.sql", "DROP TABLE accounts;"u8.ToArray())],
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };
        await using var output = File.Create(archive);
        await using var gzipOut = new GZipStream(output, CompressionLevel.Fastest);
        await using var writer = new TarWriter(gzipOut, TarEntryFormat.Pax);
        foreach (var (name, data) in entries)
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
    }

    private static byte[] Flip(byte[] data)
    {
        var copy = data.ToArray();
        copy[copy.Length / 2] ^= 0x5A;
        return copy;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
