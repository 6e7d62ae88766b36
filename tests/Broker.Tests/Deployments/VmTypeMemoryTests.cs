using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Deployments;

/// <summary>
/// On the local backend a cloud config's <c>vm_types</c> RAM gives the server its memory settings (a quarter for
/// shared_buffers, three quarters for effective_cache_size, a sixteenth for maintenance_work_mem): from its provisioning on,
/// through a resize to a plan of a larger VM type (which the dry run announces), and an explicit parameter still wins.
/// </summary>
public sealed class VmTypeMemoryTests : IAsyncLifetime
{
    private const string Host = "memory-host";
    private const int Rows = 200;
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create(new Dictionary<string, string>
    {
        ["Catalog__Services__0__Plans__0__Metadata__vm_type"] = "small",
        ["Catalog__Services__0__Plans__1__Metadata__vm_type"] = "large",
        ["Provisioners__Host__Name"] = Host,
        // The dedicated plans' schema offers max_connections only; the cluster schema offers shared_buffers too.
        ["Catalog__Services__0__Plans__1__Schemas__ServiceInstanceUpdate"] = "Catalog/postgresql-cluster-parameters.schema.json",
    });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task TheVmTypeGivesTheMemorySettings_FromProvisioningThroughAResize_AndAnExplicitParameterWins()
    {
        var id = Guid.NewGuid();
        await using var broker = await BrokerProcess.Start(_environment);
        var ports = $"127.0.0.1:{_environment.PortRangeStart}-{_environment.PortRangeStart + 39}";
        var cloud = $$"""
            azs:
            - {name: z1, hosts: [{{Host}}]}
            vm_types:
            - {name: small, cpu: 1, ram: 128}
            - {name: large, cpu: 2, ram: 512}
            disk_types: []
            networks:
            - name: loopback
              subnets:
              - {azs: [z1], range: "{{ports}}"}

            """;
        Assert.Equal(HttpStatusCode.OK, (await broker.OpsClient.PutAsync("/api/v1/cloud-config", new StringContent(cloud))).StatusCode);

        await Done(broker, id, await broker.Client.Provision(id, ProvisionBody(SmallPlanId)));
        Assert.Equal(("32MB", "96MB", "8MB"), await Memory(id));
        await WriteRows(id);

        var dryRun = await broker.OpsClient.PostAsJsonAsync($"/api/v1/deployments/{id}/plan", new { planId = LargePlanId });
        var plan = JsonNode.Parse(await dryRun.Content.ReadAsStringAsync())!;
        Assert.True(dryRun.StatusCode == HttpStatusCode.OK, plan.ToJsonString());
        Assert.Equal([
            "effective_cache_size 96MB → 384MB (vm_type small → large)",
            "maintenance_work_mem 8MB → 32MB (vm_type small → large)",
            "shared_buffers 32MB → 128MB (vm_type small → large)",
        ], plan["vmTypeSettings"]!.AsArray().Select(s => (string?)s));
        Assert.Contains("Settings the vm_type changes: effective_cache_size 96MB → 384MB", (string?)plan["text"]);

        await Done(broker, id, await Patch(broker, id, new { service_id = ServiceId, plan_id = LargePlanId }));
        Assert.Equal(("128MB", "384MB", "32MB"), await Memory(id));
        Assert.Equal(Rows, await CountRows(id));

        await Done(broker, id, await Patch(broker, id, new { service_id = ServiceId, parameters = new { shared_buffers = "64MB" } }));
        Assert.Equal(("64MB", "384MB", "32MB"), await Memory(id));
        Assert.Equal(Rows, await CountRows(id));
    }

    private static async Task Done(BrokerProcess broker, Guid id, HttpResponseMessage request)
    {
        Assert.True(request.StatusCode == HttpStatusCode.Accepted, $"{request.StatusCode}: {await request.Content.ReadAsStringAsync()}");
        var done = await broker.Client.PollUntilDone(id);
        Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");
    }

    private static Task<HttpResponseMessage> Patch(BrokerProcess broker, Guid id, object body) =>
        broker.Client.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true", body);

    private async Task<NpgsqlConnection> Connect(Guid id)
    {
        var connection = new NpgsqlConnection(await _environment.AdminConnectionString(id));
        await connection.OpenAsync();
        return connection;
    }

    private async Task<(string?, string?, string?)> Memory(Guid id)
    {
        await using var connection = await Connect(id);
        async Task<string?> Show(string setting)
        {
            await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
            return (string?)await command.ExecuteScalarAsync();
        }
        return (await Show("shared_buffers"), await Show("effective_cache_size"), await Show("maintenance_work_mem"));
    }

    private async Task WriteRows(Guid id)
    {
        await using var connection = await Connect(id);
        await using var command = new NpgsqlCommand($"CREATE TABLE kept (n int PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, {Rows})", connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountRows(Guid id)
    {
        await using var connection = await Connect(id);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM kept", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
