using System.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace EventSourced.Broker.Tests.Deployment;

/// <summary>
/// The deployment files in infra/: every setting they give the broker is one it reads (<see cref="BrokerSettingNames"/>),
/// the compose files have the shape the README promises and pass <c>docker compose config</c> where a Compose CLI is
/// installed, and the Kubernetes manifests hold their invariants: a Deployment per role, each probed on /health/ready
/// (readiness) and /health/live (liveness), covered by a PodDisruptionBudget, secrets only by reference.
/// </summary>
public sealed class DeploymentManifestTests
{
    private static readonly string Infra = Path.Combine(RepositoryRoot(), "infra");

    [Fact]
    public void SettingNames_AreCheckedForReal()
    {
        Assert.Null(BrokerSettingNames.Problem("Provisioners__Local__Resurrector__Interval"));
        Assert.Null(BrokerSettingNames.Problem("Broker__Health__ProjectionLagDegradedAfter"));
        Assert.NotNull(BrokerSettingNames.Problem("Broker__Rolez"));
        Assert.NotNull(BrokerSettingNames.Problem("Provisioners__Local__DataRot"));
        Assert.NotNull(BrokerSettingNames.Problem("RabbitMQ_Host"));
    }

    [Fact]
    public void SplitCompose_HasARabbitMqClusterOfThree_ApiTwice_WorkerTwice_ProjectorOnce_AndOnlyRealSettings()
    {
        var services = ComposeServices("docker-compose.yml");

        Assert.Equal(3, services.Keys.Count(name => Image(services[name]).StartsWith("rabbitmq:")));
        Assert.Single(services.Keys, name => Image(services[name]).StartsWith("postgres:"));
        var roles = BrokerServices(services).Select(s => Environment(s.Value).GetValueOrDefault("Broker__Roles")).ToList();
        Assert.Equal(2, roles.Count(r => r == "api"));
        Assert.Equal(2, roles.Count(r => r == "worker"));
        Assert.Equal(1, roles.Count(r => r == "projector"));
        AssertOnlyRealSettings(services);
        AssertProbedOnReady(services);
    }

    [Fact]
    public void DevCompose_IsOneBrokerOfAllRoles_AndOnlyRealSettings()
    {
        var services = ComposeServices("docker-compose.dev.yml");

        var broker = Assert.Single(BrokerServices(services));
        Assert.Equal("api,worker,projector", Environment(broker.Value)["Broker__Roles"]);
        AssertOnlyRealSettings(services);
        AssertProbedOnReady(services);
    }

    [Theory]
    [InlineData("docker-compose.yml")]
    [InlineData("docker-compose.dev.yml")]
    public async Task Compose_PassesComposeConfig_WhereACliIsInstalled(string file)
    {
        var cli = ComposeCli();
        if (cli is null) return; // No Compose CLI on this machine: the YAML checks above still ran.
        var start = new ProcessStartInfo(cli.Value.File) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in cli.Value.Args.Concat(["-f", Path.Combine(Infra, file), "config", "-q"])) start.ArgumentList.Add(arg);
        foreach (var (key, value) in new Dictionary<string, string> { ["BROKER_PASSWORD"] = "p", ["OPS_PASSWORD"] = "o", ["SECRETS_KEY"] = "k", ["RABBITMQ_COOKIE"] = "c" })
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{cli.Value.File} {string.Join(' ', cli.Value.Args)} config on {file}: {await errors}");
    }

    [Fact]
    public void Kubernetes_ADeploymentPerRole_ProbedOnReadyAndLive_CoveredByABudget_SecretsByReference()
    {
        var documents = Directory.GetFiles(Path.Combine(Infra, "k8s"), "*.yaml").Where(f => !f.EndsWith(".example.yaml"))
            .SelectMany(f => Documents(File.ReadAllText(f)).Select(d => (File: Path.GetFileName(f), Doc: d))).ToList();
        var kinds = documents.Where(d => d.Doc.ContainsKey("kind")).ToLookup(d => (string)d.Doc["kind"], d => d.Doc);
        var configMapKeys = kinds["ConfigMap"].SelectMany(c => Map(c["data"]).Keys.Cast<string>()).ToList();
        Assert.All(configMapKeys, key => Assert.Null(BrokerSettingNames.Problem(key)));
        var kustomized = List(Map(documents.Single(d => d.File == "kustomization.yaml").Doc)["resources"]).Cast<string>().ToHashSet();
        Assert.Equal(documents.Select(d => d.File).Where(f => f != "kustomization.yaml").ToHashSet(), kustomized);

        var deployments = kinds["Deployment"].ToList();
        var roles = new List<string>();
        foreach (var deployment in deployments)
        {
            var name = (string)Map(deployment["metadata"])["name"];
            var spec = Map(deployment["spec"]);
            var podLabels = Map(Map(Map(spec["template"])["metadata"])["labels"]);
            var container = Map(Assert.Single(List(Map(Map(spec["template"])["spec"])["containers"])));
            var env = List(container["env"]).Select(Map).ToList();
            roles.Add((string)env.Single(e => (string)e["name"] == "Broker__Roles")["value"]);
            foreach (var variable in env)
            {
                Assert.Null(BrokerSettingNames.Problem((string)variable["name"]));
                if (variable.ContainsKey("valueFrom") && Map(variable["valueFrom"]).TryGetValue("secretKeyRef", out var reference))
                    Assert.Equal((string)variable["name"], (string)Map(reference)["key"]);
            }
            // A secret never written into a manifest: only by reference.
            Assert.DoesNotContain(env, e => (string)e["name"] is "Secrets__Key" or "Broker__Password" or "Ops__Password" or "RabbitMq__Password" or "ConnectionStrings__Postgres"
                && e.ContainsKey("value"));
            Assert.Equal("/health/ready", Probe(container, "readinessProbe"));
            Assert.Equal("/health/live", Probe(container, "livenessProbe"));
            Assert.True(kinds["PodDisruptionBudget"].Any(pdb => Selects(Map(Map(pdb["spec"])["selector"])["matchLabels"], podLabels)),
                $"no PodDisruptionBudget selects the pods of {name}");
        }
        Assert.Equal(["api", "projector", "worker"], roles.Order(StringComparer.Ordinal));
        var apiLabels = Map(Map(Map(deployments.Single(d => Role(d) == "api")["spec"])["template"])["metadata"])["labels"];
        Assert.Contains(kinds["Service"], service => Selects(Map(service["spec"])["selector"], Map(apiLabels)));
    }

    private static string Role(Dictionary<object, object> deployment) =>
        (string)List(Map(List(Map(Map(Map(deployment["spec"])["template"])["spec"])["containers"])[0])["env"]).Select(Map)
            .Single(e => (string)e["name"] == "Broker__Roles")["value"];

    private static string? Probe(Dictionary<object, object> container, string probe) =>
        container.TryGetValue(probe, out var p) ? (string)Map(Map(p)["httpGet"])["path"] : null;

    private static bool Selects(object selector, Dictionary<object, object> labels) =>
        Map(selector).All(label => labels.TryGetValue(label.Key, out var value) && Equals(value, label.Value));

    private static void AssertOnlyRealSettings(Dictionary<string, Dictionary<object, object>> services)
    {
        var problems = BrokerServices(services)
            .SelectMany(s => Environment(s.Value).Keys.Select(BrokerSettingNames.Problem).OfType<string>().Select(p => $"{s.Key}: {p}")).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Every broker process is checked on /health/ready: its image's HEALTHCHECK or its own.</summary>
    private static void AssertProbedOnReady(Dictionary<string, Dictionary<object, object>> services)
    {
        var dockerfile = File.ReadAllText(Path.Combine(Infra, "Dockerfile"));
        Assert.Contains("HEALTHCHECK", dockerfile);
        Assert.Contains("/health/ready", dockerfile);
        foreach (var (name, service) in BrokerServices(services))
            if (service.TryGetValue("healthcheck", out var check))
                Assert.Contains("/health/ready", string.Join(" ", List(Map(check)["test"])));
    }

    private static IEnumerable<KeyValuePair<string, Dictionary<object, object>>> BrokerServices(Dictionary<string, Dictionary<object, object>> services) =>
        services.Where(s => s.Value.ContainsKey("build") && !(s.Value.TryGetValue("command", out var command) && List(command).Contains("db")));

    private static string Image(Dictionary<object, object> service) => service.TryGetValue("image", out var image) ? (string)image : "";

    private static Dictionary<string, string> Environment(Dictionary<object, object> service) =>
        service.TryGetValue("environment", out var environment)
            ? Map(environment).ToDictionary(e => (string)e.Key, e => e.Value?.ToString() ?? "")
            : [];

    private static Dictionary<string, Dictionary<object, object>> ComposeServices(string file) =>
        Map(Documents(File.ReadAllText(Path.Combine(Infra, file))).Single()["services"]).ToDictionary(s => (string)s.Key, s => Map(s.Value));

    /// <summary>Every document of the YAML text, with merge keys (<c>&lt;&lt;: *anchor</c>) resolved.</summary>
    private static List<Dictionary<object, object>> Documents(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new MergingParser(new Parser(new StringReader(yaml)));
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _))
            if (deserializer.Deserialize<Dictionary<object, object>?>(parser) is { } document) documents.Add(document);
        return documents;
    }

    private static Dictionary<object, object> Map(object value) => Assert.IsType<Dictionary<object, object>>(value);

    private static List<object> List(object value) => Assert.IsType<List<object>>(value);

    private static (string File, string[] Args)? ComposeCli()
    {
        foreach (var (file, args) in new[] { ("docker", new[] { "compose" }), ("docker-compose", Array.Empty<string>()) })
        {
            var path = (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, file)).FirstOrDefault(File.Exists);
            if (path is null) continue;
            var probe = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in args.Append("version")) probe.ArgumentList.Add(arg);
            using var process = Process.Start(probe)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            if (process.WaitForExit(TimeSpan.FromSeconds(30)) && process.ExitCode == 0) return (path, args);
        }
        return null;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EventSourced.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("The repository root is not above the test binaries.");
    }
}
