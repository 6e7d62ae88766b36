using System.Net;
using System.Net.Http.Json;
using System.Text;
using EventSourced.Broker.Tests.Hosting;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

/// <summary><c>PATCH /v2/service_instances/{id}</c> against one real instance, updated in turn by the tests.</summary>
public sealed class UpdateTests(ProvisionedInstanceFixture instance) : IClassFixture<ProvisionedInstanceFixture>
{
    private BrokerFixture Fixture => instance.Broker;
    private HttpClient Client => Fixture.Broker.Client;

    [Fact]
    public async Task Update_Parameters_Returns202_AndTheServerRunsWithThem()
    {
        var response = await Patch(new { service_id = ServiceId, parameters = new { max_connections = 61 } });

        await response.AcceptedOperation();
        await Fixture.AssertEnds(instance.InstanceId, HttpStatusCode.OK, "succeeded");
        await using var connection = new NpgsqlConnection(await instance.AdminConnectionString());
        await connection.OpenAsync();
        await using var show = new NpgsqlCommand("SHOW max_connections", connection);
        Assert.Equal("61", await show.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Update_PlanChange_SmallToLarge_Succeeds_AndFetchShowsTheNewPlan()
    {
        await EnsurePlan(SmallPlanId);

        var response = await Patch(new { service_id = ServiceId, plan_id = LargePlanId });

        await response.AcceptedOperation();
        await Fixture.AssertEnds(instance.InstanceId, HttpStatusCode.OK, "succeeded");
        var fetched = await (await Client.GetAsync($"/v2/service_instances/{instance.InstanceId}")).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(LargePlanId, (string?)fetched["plan_id"]);
    }

    [Fact]
    public async Task Update_ParametersOutsideTheSchema_Returns400_AndNoEvent()
    {
        var response = await Fixture.Refused(_ => Patch(new { service_id = ServiceId, parameters = new { max_connections = 5000 } }));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal("parameters/max_connections: 5000 should be at most 500.", (string?)body["description"]);
    }

    [Fact]
    public async Task Update_UnknownPlan_Returns400_AndNoEvent()
    {
        var unknown = Guid.NewGuid().ToString();

        var response = await Fixture.Refused(_ => Patch(new { service_id = ServiceId, plan_id = unknown }));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains(unknown, (string?)body["description"]);
    }

    [Fact]
    public async Task Update_OtherMaintenanceInfoVersion_Returns422MaintenanceInfoConflict()
    {
        var response = await Fixture.Refused(_ => Patch(new { service_id = ServiceId, maintenance_info = new { version = "9.9.9" } }));

        await response.AssertOsbError(HttpStatusCode.UnprocessableEntity, "MaintenanceInfoConflict");
    }

    [Fact]
    public async Task Update_WhileAnotherUpdateRuns_Returns422ConcurrencyError()
    {
        var first = await Patch(new { service_id = ServiceId, parameters = new { max_connections = 70 } });
        await first.AcceptedOperation();

        var second = await Fixture.RefusedWhileRunning(_ => Patch(new { service_id = ServiceId, parameters = new { max_connections = 71 } }));

        await second.AssertOsbError(HttpStatusCode.UnprocessableEntity, "ConcurrencyError");
        await Fixture.AssertEnds(instance.InstanceId, HttpStatusCode.OK, "succeeded");
    }

    [Theory]
    [InlineData("")]
    [InlineData("?accepts_incomplete=false")]
    public async Task Update_NeedingAnOperation_WithoutAcceptsIncomplete_Returns422AsyncRequired_AndNoEvent(string query)
    {
        var response = await Fixture.Refused(client => client.PatchAsJsonAsync($"/v2/service_instances/{instance.InstanceId}{query}",
            new { service_id = ServiceId, parameters = new { max_connections = 80 + query.Length } }));

        await response.AssertOsbError(HttpStatusCode.UnprocessableEntity, "AsyncRequired");
        Assert.Equal("succeeded", (await Client.PollUntilDone(instance.InstanceId)).State);
    }

    [Fact]
    public async Task Update_ContextOnly_Returns200()
    {
        var response = await Patch(new { service_id = ServiceId, context = new { platform = "cloudfoundry", instance_name = $"renamed-{Guid.NewGuid():N}" } });

        var body = await response.AssertStatus(HttpStatusCode.OK);
        Assert.Empty(body);
        var last = await Client.PollUntilDone(instance.InstanceId);
        Assert.Equal((HttpStatusCode.OK, "succeeded"), (last.Status, last.State));
    }

    private Task<HttpResponseMessage> Patch(object body, string query = "?accepts_incomplete=true") =>
        Client.PatchAsJsonAsync($"/v2/service_instances/{instance.InstanceId}{query}", body);

    /// <summary>Tests take the instance in turn: a plan change starts from the plan it needs.</summary>
    private async Task EnsurePlan(string planId)
    {
        if ((await instance.State()).PlanId == planId) return;
        await (await Patch(new { service_id = ServiceId, plan_id = planId })).AcceptedOperation();
        await Fixture.AssertEnds(instance.InstanceId, HttpStatusCode.OK, "succeeded");
    }
}
