using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Ops;
using EventSourced.TestSupport;
using CliRun = EventSourced.Broker.Tests.Ops.Cli;

namespace EventSourced.Broker.Tests.CloudConfigs;

/// <summary>One broker on the simulated backend whose host beats every second, shared by the tests of a class.</summary>
public sealed class CloudConfigFixture : BrokerFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Provisioners__Backend"] = "simulated", ["Provisioners__Host__HeartbeatInterval"] = "00:00:01",
    };
}

/// <summary>
/// <c>GET/PUT /api/v1/cloud-config</c> and the CLI's <c>cloud-config</c>: versions as events, every error of an invalid
/// file named by line and path with nothing recorded, concurrent edits of one version refused but one, and the host's
/// AZ taken from the cloud config. The tests of this class run in order on one deployment (their versions build up).
/// </summary>
[TestCaseOrderer("EventSourced.TestSupport.ByName", "EventSourced.TestSupport")]
public sealed class CloudConfigApiTests(CloudConfigFixture fixture) : IClassFixture<CloudConfigFixture>
{
    private const string Path = "/api/v1/cloud-config";
    private HttpClient Ops => fixture.Broker.OpsClient;

    private static string Config(string host, string az = "z1") => $"""
        azs:
        - name: {az}
          hosts: [{host}]
        vm_types:
        - {"{"}name: small, cpu: 1, ram: 512{"}"}
        disk_types:
        - {"{"}name: ten, size: 10240{"}"}
        networks:
        - name: default
          subnets:
          - {"{"}azs: [{az}], range: 127.0.0.1:6000-6099{"}"}

        """;

    private Task<HttpResponseMessage> Put(string yaml, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, Path) { Content = new StringContent(yaml, Encoding.UTF8, "application/yaml") };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return Ops.SendAsync(request);
    }

    private static async Task<JsonObject> Body(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task T1_BeforeAnyUpload_ThereIsNone()
    {
        var none = await Body(await Ops.GetAsync(Path), HttpStatusCode.NotFound);

        Assert.Contains("No cloud config was uploaded yet", (string?)none["description"]);
    }

    [Fact]
    public async Task T2_Uploads_AreVersions_AnUnchangedOneRecordsNothing_AndEveryVersionStaysReadable()
    {
        var first = await Body(await Put(Config("node-1")), HttpStatusCode.OK);
        Assert.Equal((1, true), ((int)first["version"]!, (bool)first["changed"]!));

        var again = await fixture.Environment.Refused(Ops, _ => Put(Config("node-1")));
        Assert.False((bool)(await Body(again, HttpStatusCode.OK))["changed"]!);

        var second = await Body(await Put(Config("node-2"), ifMatch: "\"1\""), HttpStatusCode.OK);
        Assert.Equal(2, (int)second["version"]!);
        var current = await Body(await Ops.GetAsync(Path), HttpStatusCode.OK);
        Assert.Equal((2, Config("node-2")), ((int)current["version"]!, (string?)current["yaml"]));
        Assert.Equal(fixture.Environment.OpsUsername, (string?)current["updatedBy"]);
        Assert.Equal(Config("node-1"), (string?)(await Body(await Ops.GetAsync($"{Path}?version=1"), HttpStatusCode.OK))["yaml"]);
        await Body(await Ops.GetAsync($"{Path}?version=9"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task T3_AnInvalidFile_IsRefusedWithEveryErrorByLineAndPath_AndNothingIsRecorded()
    {
        const string invalid = """
            azs:
            - name: z1
              hosts: [a, a]
            vm_types:
            - {name: small, cpu: 0, ram: 512}
            disk_typo: []
            """;

        var refused = await Body(await fixture.Environment.Refused(Ops, _ => Put(invalid)), HttpStatusCode.BadRequest);

        var errors = refused["errors"]!.AsArray().Select(e => (string)e!).ToList();
        Assert.True(errors.Count >= 3, string.Join("\n", errors));
        Assert.Contains(errors, e => e.StartsWith("cloud-config.yml:5:") && e.Contains("vm_types[0].cpu"));
        Assert.Contains(errors, e => e.StartsWith("cloud-config.yml:6:") && e.Contains("disk_typo"));
        Assert.Contains(errors, e => e.StartsWith("cloud-config.yml:3:") && e.Contains("'a'"));
    }

    [Theory]
    [InlineData("empty", "")]
    [InlineData("alias bomb", "a: &a [x, x]\nb: [*a, *a]\n")]
    [InlineData("two documents", "azs: []\n---\nazs: []\n")]
    [InlineData("not yaml", "azs: [unclosed\n")]
    public async Task T4_HostileUploads_AreRefused_NothingRecorded(string what, string yaml)
    {
        var response = await fixture.Environment.Refused(Ops, _ => Put(yaml));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task T4_NotUtf8_TooLarge_BadIfMatch_BadVersion_AreRefused()
    {
        var latin1 = new ByteArrayContent([0x61, 0x7a, 0x73, 0x3a, 0x20, 0xe9, 0x0a]);
        latin1.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        await Body(await fixture.Environment.Refused(Ops, client => client.PutAsync(Path, latin1)), HttpStatusCode.BadRequest);
        // Announced (Expect: 100-continue), so the refusal comes before the body rather than into a connection being closed.
        var huge = new HttpRequestMessage(HttpMethod.Put, Path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("# " + new string('x', 1024 * 1024) + "\n")) };
        huge.Headers.ExpectContinue = true;
        var tooLarge = await fixture.Environment.Refused(Ops, client => client.SendAsync(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        await Body(await fixture.Environment.Refused(Ops, _ => Put(Config("node-x"), ifMatch: "W/\"x\"")), HttpStatusCode.BadRequest);
        await Body(await Ops.GetAsync($"{Path}?version=0"), HttpStatusCode.BadRequest);
        await Body(await Ops.GetAsync($"{Path}?version=abc"), HttpStatusCode.BadRequest);
        var platform = await fixture.Environment.Refused(fixture.Broker.Client, _ => fixture.Broker.Client.PutAsync(Path, new StringContent(Config("p"))));
        Assert.Equal(HttpStatusCode.Unauthorized, platform.StatusCode);
    }

    [Fact]
    public async Task T5_EightEditsOfOneVersionAtOnce_OneWins_TheOthersAreToldTheCurrentVersion()
    {
        var current = (int)(await Body(await Ops.GetAsync(Path), HttpStatusCode.OK))["version"]!;

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Put(Config($"racer-{i}"), ifMatch: $"\"{current}\"")));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(7, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        var conflict = await Body(answers.First(a => a.StatusCode == HttpStatusCode.Conflict), HttpStatusCode.Conflict);
        Assert.Contains($"version {current + 1}, not {current}", (string?)conflict["description"]);
        Assert.Equal(current + 1, (int)(await Body(await Ops.GetAsync(Path), HttpStatusCode.OK))["version"]!);
    }

    [Fact]
    public async Task T6_AHostListedInTheCloudConfig_TakesItsAz()
    {
        var hosts = JsonNode.Parse(await fixture.Broker.Client.GetStringAsync("/admin/hosts"))!.AsArray();
        var name = (string)hosts.Single()!["name"]!;

        await Body(await Put(Config(name, az: "z9")), HttpStatusCode.OK);

        await Eventually.True(async () =>
                (string?)JsonNode.Parse(await fixture.Broker.Client.GetStringAsync("/admin/hosts"))!.AsArray().Single()!["az"] == "z9",
            $"host {name} in az z9", details: () => fixture.Broker.Output);
    }

    [Fact]
    public async Task T7_TheCli_UploadsShowsAndNamesEveryErrorOfABadFile()
    {
        var directory = Directory.CreateTempSubdirectory("cloud-config-cli");
        try
        {
            var good = System.IO.Path.Combine(directory.FullName, "good.yml");
            await File.WriteAllTextAsync(good, Config("cli-host"));
            var bad = System.IO.Path.Combine(directory.FullName, "bad.yml");
            await File.WriteAllTextAsync(bad, "azs:\n- name: z1\n  hosts: []\nvm_types: 3\n");

            var uploaded = await CliRun.Against(fixture.Broker, fixture.Environment, "cloud-config", "update", good);
            Assert.True(uploaded.ExitCode == 0, uploaded.ToString());
            Assert.Matches("cloud config version [0-9]+ uploaded from good.yml", uploaded.Output);

            var shown = await CliRun.Against(fixture.Broker, fixture.Environment, "cloud-config", "show");
            Assert.True(shown.ExitCode == 0, shown.ToString());
            Assert.Equal(Config("cli-host"), shown.Output);

            var refused = await CliRun.Against(fixture.Broker, fixture.Environment, "cloud-config", "update", bad);
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.Contains("cloud-config.yml:3:", refused.Error);
            Assert.Contains("cloud-config.yml:4:", refused.Error);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
