using System.Net;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Tests.Support;
using Npgsql;

namespace EventSourced.ServiceManager.Tests.Sharing;

/// <summary>The whole way, for real: a dedicated server made through platform A, shared, bound from platform B through a reference.</summary>
public sealed class ReferenceLoginTests(LocalBroker fixture) : IClassFixture<LocalBroker>
{
    [Fact]
    public async Task A_binding_made_through_a_reference_from_another_platform_logs_in_to_the_shared_dedicated_server()
    {
        var admin = fixture.Manager.Admin;
        var (_, osbA) = await fixture.Platform();
        var b = await admin.RegisterPlatform($"cf-{Guid.NewGuid():N}", "cloudfoundry");
        await admin.Show(b.Id, await admin.PlanId(fixture.BrokerId, Catalogs.LargeA));
        using var osbB = fixture.Manager.Osb(b, fixture.BrokerId);

        var instanceId = Guid.NewGuid().ToString();
        await osbA.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceA, Catalogs.SmallA)).Expect(HttpStatusCode.Accepted);
        var provisioned = await osbA.PollUntilDone($"v2/service_instances/{instanceId}", seconds: 180);
        Assert.True(provisioned.State == "succeeded", provisioned.Body + fixture.Broker.Output);
        await admin.Patch($"/v1/service_instances/{instanceId}", new JsonObject { ["shared"] = true }).Expect(HttpStatusCode.OK);

        var catalog = await osbB.GetAsync("v2/catalog").Expect(HttpStatusCode.OK);
        var referencePlan = catalog["services"]![0]!["plans"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "reference-instance")!["id"]!.GetValue<string>();
        var referenceId = Guid.NewGuid().ToString();
        await osbB.Provision(referenceId, Sm.ProvisionBody(Catalogs.ServiceA, referencePlan,
            new JsonObject { ["platform"] = "cloudfoundry", ["organization_guid"] = "org-b", ["space_guid"] = "space-b" },
            new JsonObject { ["referenced_instance_id"] = instanceId })).Expect(HttpStatusCode.Created);

        var bindingId = Guid.NewGuid().ToString();
        var credentials = (await osbB.Put($"v2/service_instances/{referenceId}/service_bindings/{bindingId}",
            new JsonObject { ["service_id"] = Catalogs.ServiceA, ["plan_id"] = referencePlan }).Expect(HttpStatusCode.Created))["credentials"]!;
        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = credentials["host"]!.GetValue<string>(), Port = credentials["port"]!.GetValue<int>(),
            Database = credentials["database"]!.GetValue<string>(), Username = credentials["username"]!.GetValue<string>(),
            Password = credentials["password"]!.GetValue<string>(), Pooling = false, Timeout = 15,
        }.ConnectionString;
        await using (var session = new NpgsqlConnection(connection))
        {
            await session.OpenAsync();
            await using var select = new NpgsqlCommand("SELECT 1", session);
            Assert.Equal(1, (int)(await select.ExecuteScalarAsync())!);
        }

        // Cleaned up the way platforms do it, which stops the dedicated server.
        await osbB.DeleteAsync($"v2/service_instances/{referenceId}/service_bindings/{bindingId}?service_id={Catalogs.ServiceA}&plan_id={referencePlan}")
            .Expect(HttpStatusCode.OK);
        await osbB.Deprovision(referenceId, Catalogs.ServiceA, referencePlan).Expect(HttpStatusCode.OK);
        await admin.Patch($"/v1/service_instances/{instanceId}", new JsonObject { ["shared"] = false }).Expect(HttpStatusCode.OK);
        await osbA.DeprovisionAndWait(instanceId, Catalogs.ServiceA, Catalogs.SmallA);
        Assert.Equal(HttpStatusCode.Gone, (await osbA.PollUntilDone($"v2/service_instances/{instanceId}", seconds: 120)).Status);
    }
}
