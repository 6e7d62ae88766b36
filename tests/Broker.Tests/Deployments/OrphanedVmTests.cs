using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Deployments;

/// <summary>
/// Create-swap-delete's old VM outlives the deploy: recorded as orphaned on the instance's stream, listed for operators
/// with its host and deadline, and deleted by the sweeper of its host once the grace period ran out, by whichever worker
/// is alive then. The first broker keeps orphans an hour (so the listing is read before any sweep, whatever the load);
/// it is killed, and the next one, with a grace period of a second, sweeps them.
/// </summary>
public sealed class OrphanedVmTests : IAsyncLifetime
{
    private const string Host = "orphan-host";
    private const int Rows = 200;
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create(new Dictionary<string, string>
    {
        ["Catalog__Services__0__Plans__0__Metadata__vm_surge"] = "1",
        ["Catalog__Services__0__Plans__1__Metadata__vm_surge"] = "1",
        ["Provisioners__Host__Name"] = Host,
        ["Provisioners__Deployments__OrphanGracePeriod"] = "01:00:00",
        ["Provisioners__Deployments__OrphanSweepInterval"] = "00:00:01",
    });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task OrphansAreListedWithTheirDeadline_AndAfterAKill_TheNextWorkerDeletesThemButNotTheVmInUse()
    {
        var id = Guid.NewGuid();
        var vms = Path.Combine(_environment.DataRoot, id.ToString(), "vms");
        await using (var first = await BrokerProcess.Start(_environment))
        {
            await Done(first, id, await first.Client.Provision(id, ProvisionBody(SmallPlanId)));
            await WriteRows(id);
            // Two recreates: the first orphans the VM the instance was provisioned on, the second the VM the first created.
            await Done(first, id, await Patch(first, id, LargePlanId));
            await Done(first, id, await Patch(first, id, SmallPlanId));

            var events = await _environment.InstanceEvents(id);
            var orphaned = events.OfType<VmOrphaned>().ToList();
            // The VMs the two updates created (the provisioning's deploy created the first one, postgres/0#0).
            var provisioning = events.OfType<ServiceInstanceProvisioningRequested>().Single().OperationId;
            var created = events.OfType<DeploymentStepCompleted>().Where(s => s.Step == "create VM" && s.OperationId != provisioning).Select(s => s.Vm).ToList();
            Assert.Equal(["postgres/0#0", created[0]], orphaned.Select(o => o.Vm));
            Assert.Equal(created[1], ServiceInstance.Fold(events).Vm);
            Assert.True(File.Exists(VmFile(vms, created[0])), "the orphaned VM's slot stays until the sweep");

            var listed = await Listed(first, $"/admin/orphans/{id}");
            Assert.Equal(orphaned.Select(o => o.Vm), listed.Select(o => (string?)o["vm"]));
            foreach (var (row, orphan) in listed.Zip(orphaned))
            {
                Assert.Equal((id.ToString(), Host), ((string?)row["instanceId"], (string?)row["host"]));
                Assert.Equal(orphan.OrphanedAt.AddHours(1), (DateTimeOffset)row["deletedAfter"]!);
                Assert.True((double)row["ageSeconds"]! >= 0);
            }
            Assert.Equal(2, (await Listed(first, "/admin/orphans")).Count(o => (string?)o["instanceId"] == id.ToString()));
            Assert.Empty(await Listed(first, "/admin/orphans?host=another-host"));

            await AssertRefused(first, "/admin/orphans/not-a-guid", HttpStatusCode.BadRequest);
            await AssertRefused(first, "/admin/orphans/%27%3B%20DROP%20TABLE%20x", HttpStatusCode.BadRequest);
            await AssertRefused(first, "/admin/orphans?host=Bad_Host!", HttpStatusCode.BadRequest);
            await AssertRefused(first, $"/admin/orphans/{Guid.NewGuid()}", HttpStatusCode.NotFound);
            Assert.Equal(HttpStatusCode.Unauthorized, (await new HttpClient { BaseAddress = first.BaseAddress }.GetAsync("/admin/orphans")).StatusCode);

            // Killed between the orphaning and the sweep: nothing in its memory is needed to delete them.
            await first.Kill();
        }
        Assert.DoesNotContain(await _environment.InstanceEvents(id), e => e is VmDeleted);

        await using var second = await BrokerProcess.Start(_environment, new Dictionary<string, string>
        {
            ["Provisioners__Deployments__OrphanGracePeriod"] = "00:00:01",
        });
        await Eventually.Until(() => Listed(second, $"/admin/orphans/{id}"), l => l.Count == 0, "the orphans swept", seconds: 60,
            details: () => second.Output);

        var after = await _environment.InstanceEvents(id);
        var state = ServiceInstance.Fold(after);
        Assert.Equal(after.OfType<VmOrphaned>().Select(o => o.Vm).Order(), after.OfType<VmDeleted>().Select(d => d.Vm).Order());
        Assert.Empty(state.OrphanedVms);
        Assert.False(File.Exists(VmFile(vms, after.OfType<VmOrphaned>().ElementAt(1).Vm)), "the orphaned VM's slot is deleted");
        Assert.True(File.Exists(VmFile(vms, state.Vm!)), "the VM the instance uses is kept");
        Assert.Equal(Rows, await CountRows(id));
    }

    private static string VmFile(string vms, string vm) => Path.Combine(vms, vm.Replace('/', '_').Replace('#', '-') + ".json");

    private static async Task Done(BrokerProcess broker, Guid id, HttpResponseMessage request)
    {
        Assert.True(request.StatusCode == HttpStatusCode.Accepted, $"{request.StatusCode}: {await request.Content.ReadAsStringAsync()}");
        var done = await broker.Client.PollUntilDone(id);
        Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");
    }

    private static Task<HttpResponseMessage> Patch(BrokerProcess broker, Guid id, string planId) =>
        broker.Client.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true", new { service_id = ServiceId, plan_id = planId });

    private static async Task<List<JsonNode>> Listed(BrokerProcess broker, string path)
    {
        var response = await broker.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsArray().Select(n => n!).ToList();
    }

    private static async Task AssertRefused(BrokerProcess broker, string path, HttpStatusCode status)
    {
        var response = await broker.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{path}: {response.StatusCode} {body}");
        Assert.Equal(status == HttpStatusCode.NotFound ? "NotFound" : "BadRequest", (string?)JsonNode.Parse(body)!["error"]);
    }

    private async Task<NpgsqlConnection> Connect(Guid id)
    {
        var connection = new NpgsqlConnection(await _environment.AdminConnectionString(id));
        await connection.OpenAsync();
        return connection;
    }

    private async Task WriteRows(Guid id)
    {
        await using var connection = await Connect(id);
        await using var command = new NpgsqlCommand(
            $"CREATE TABLE kept (n int PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, {Rows})", connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountRows(Guid id)
    {
        await using var connection = await Connect(id);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM kept", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
