using System.Net;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Tests.Support;

namespace EventSourced.ServiceManager.Tests.Operations;

/// <summary>A provisioning that fails at the broker is followed by the manager itself and cleaned up there (orphan mitigation).</summary>
public sealed class OrphanMitigationTests(FailingBroker fixture) : IClassFixture<FailingBroker>
{
    [Fact]
    public async Task A_provisioning_the_broker_fails_is_deleted_at_the_broker_by_the_manager_without_the_platform_polling()
    {
        var (_, osb) = await fixture.Platform();
        var instanceId = Guid.NewGuid().ToString();
        await osb.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceA, Catalogs.SmallA)).Expect(HttpStatusCode.Accepted);

        // The platform never polls: the manager polls the broker itself, records the failure, deletes the leftovers.
        var admin = fixture.Manager.Admin;
        await Eventually.True(async () => await admin.Instance(instanceId) is null, "the failed instance is mitigated and gone",
            seconds: 90, details: () => fixture.Broker.Output);
        var operation = Assert.Single((await admin.GetAsync(
            $"/v1/operations?fieldQuery={Uri.EscapeDataString($"resource_id eq '{instanceId}'")}").Expect(HttpStatusCode.OK))["items"]!.AsArray())!;
        Assert.Equal("failed", operation["state"]!.GetValue<string>());
        Assert.False(operation["stuck"]!.GetValue<bool>());
        Assert.Contains("the broker failed the operation", operation["description"]!.GetValue<string>());
        Assert.Contains("orphan mitigation: deleted at the broker", operation["description"]!.GetValue<string>());
        // The broker has nothing left of it.
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Broker.Client.GetAsync($"/v2/service_instances/{instanceId}")).StatusCode);
    }
}

/// <summary>What the manager does when a broker goes quiet: it fails operations past their deadline and keeps the leftovers visible.</summary>
public sealed class StalledOperationTests(StalledBroker fixture) : IClassFixture<StalledBroker>
{
    [Fact]
    public async Task An_operation_past_its_maximum_polling_duration_is_failed_and_stays_visible_as_stuck_while_the_broker_does_not_delete_it()
    {
        var (_, osb) = await fixture.Platform();
        var instanceId = Guid.NewGuid().ToString();
        await osb.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceA, Catalogs.SmallA)).Expect(HttpStatusCode.Accepted);
        var stuck = $"/v1/operations?fieldQuery={Uri.EscapeDataString($"resource_id eq '{instanceId}' and stuck eq true")}";
        var operation = await Eventually.Until(async () => (await fixture.Manager.Admin.GetAsync(stuck).Expect(HttpStatusCode.OK))["items"]!.AsArray(),
            items => items.Count == 1 && items[0]!["description"]!.GetValue<string>().Contains("the broker is deleting it"),
            "the operation is failed at its deadline and listed as stuck while orphan mitigation waits for the broker", seconds: 60);
        Assert.Equal("failed", operation[0]!["state"]!.GetValue<string>());
        Assert.True(operation[0]!["orphan_mitigation"]!.GetValue<bool>());
        var instance = await fixture.Manager.Admin.Instance(instanceId);
        Assert.Equal("create failed", instance!["state"]!.GetValue<string>());
        // The platform hears the failure from the manager, whatever the stalled broker would say.
        var last = await osb.GetAsync($"v2/service_instances/{instanceId}/last_operation").Expect(HttpStatusCode.OK);
        Assert.Equal("failed", last["state"]!.GetValue<string>());
        Assert.Contains("maximum polling duration", last["description"]!.GetValue<string>());
    }
}

/// <summary>A broker that does not answer at all, and comes back.</summary>
public sealed class BrokerOutageTests(WorkingBroker fixture) : IClassFixture<WorkingBroker>
{
    [Fact]
    public async Task A_provisioning_the_broker_did_not_answer_is_stuck_until_the_broker_is_back_then_mitigated()
    {
        var (_, osb) = await fixture.Platform();
        var instanceId = Guid.NewGuid().ToString();
        await fixture.Kill();
        try
        {
            var refused = await osb.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceA, Catalogs.SmallA)).Expect(HttpStatusCode.BadGateway);
            Assert.Equal("BrokerError", refused["error"]!.GetValue<string>());
            var stuck = await fixture.Manager.Admin.GetAsync(
                $"/v1/operations?fieldQuery={Uri.EscapeDataString($"resource_id eq '{instanceId}' and stuck eq true and orphan_mitigation eq true")}")
                .Expect(HttpStatusCode.OK);
            Assert.Single(stuck["items"]!.AsArray());
            Assert.Equal("create failed", (await fixture.Manager.Admin.Instance(instanceId))!["state"]!.GetValue<string>());
        }
        finally
        {
            await fixture.Restart();
        }
        await Eventually.True(async () => await fixture.Manager.Admin.Instance(instanceId) is null, "the instance is mitigated once the broker answers", seconds: 30);
        // The id is free again: the platform can provision it for real.
        await osb.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceA, Catalogs.SmallA)).Expect(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await osb.PollUntilDone($"v2/service_instances/{instanceId}")).State);
        await osb.DeprovisionAndWait(instanceId, Catalogs.ServiceA, Catalogs.SmallA);
    }

    [Fact]
    public async Task An_outcome_learnt_by_the_platforms_polls_and_the_managers_own_at_once_is_recorded_once()
    {
        var (_, osb) = await fixture.Platform();
        var instanceId = Guid.NewGuid().ToString();
        await osb.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceA, Catalogs.SmallA)).Expect(HttpStatusCode.Accepted);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => osb.PollUntilDone($"v2/service_instances/{instanceId}")));
        await Eventually.True(async () => (await fixture.Manager.Admin.Instance(instanceId))?["ready"]?.GetValue<bool>() == true, "the instance is ready");
        Assert.Equal(1, await fixture.Manager.EventsOf($"sm-instance-{instanceId}", "OperationSucceeded"));
        await osb.DeprovisionAndWait(instanceId, Catalogs.ServiceA, Catalogs.SmallA);
    }
}
