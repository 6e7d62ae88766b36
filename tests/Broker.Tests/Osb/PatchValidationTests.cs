using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>
/// A PATCH is checked against the instance as its stream has it, not as a read model has it: right after a provisioning
/// (the read model's row not written yet, forced here by deleting it) the parameters still meet the plan's update schema,
/// and a <c>service_id</c> of another service of the catalog is refused. Before the fix both went through (202, an update
/// with parameters outside the schema recorded): the schema was looked up through the read model's row and the request's
/// service, and skipped when either did not lead to the instance's plan.
/// </summary>
public sealed class PatchValidationTests(PatchValidationTests.Instance instance) : IClassFixture<PatchValidationTests.Instance>
{
    private const string OtherServiceId = "6a0f2d3e-51c4-4b8e-9d77-3c2a1e0f9b41";
    private const string OtherPlanId = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b";

    private HttpClient Client => instance.Broker.Client;

    [Fact]
    public async Task Patch_ReadModelRowMissing_ParametersOutsideTheSchema_Returns400_AndNothingIsAppended()
    {
        await instance.ForgetReadModelRow();

        var response = await Refused(() => Patch(new { service_id = ServiceId, parameters = new { max_connections = 5000 } }));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal("parameters/max_connections: 5000 should be at most 500.", (string?)body["description"]);
    }

    [Fact]
    public async Task Patch_ServiceIdOfAnotherService_Returns400_AndNothingIsAppended()
    {
        var response = await Refused(() => Patch(new { service_id = OtherServiceId, parameters = new { max_connections = 61 } }));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains($"service_id '{OtherServiceId}' is not the service of service instance {instance.InstanceId}", (string?)body["description"]);
    }

    [Fact]
    public async Task Patch_ServiceIdAndPlanOfAnotherService_Returns400_AndNothingIsAppended()
    {
        await instance.ForgetReadModelRow();

        var response = await Refused(() => Patch(new { service_id = OtherServiceId, plan_id = OtherPlanId }));

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task Patch_ReadModelRowMissing_ValidParameters_Returns202_AndTheUpdateSucceeds()
    {
        await instance.ForgetReadModelRow();

        var response = await Patch(new { service_id = ServiceId, parameters = new { max_connections = 62 } });

        await response.AcceptedOperation();
        var done = await Client.PollUntilDone(instance.InstanceId);
        Assert.True(done.State == "succeeded", $"{done}\n{instance.Broker.Output}");
        var events = await instance.Environment.InstanceEvents(instance.InstanceId);
        Assert.Contains(events, e => e is ServiceInstanceUpdateRequested { Parameters: var p } && p!.Contains("62"));
    }

    private Task<HttpResponseMessage> Patch(object body) =>
        Client.PatchAsJsonAsync($"/v2/service_instances/{instance.InstanceId}?accepts_incomplete=true", body);

    private async Task<HttpResponseMessage> Refused(Func<Task<HttpResponseMessage>> request)
    {
        var before = await instance.Environment.EventCount();
        var response = await request();
        Assert.Equal(before, await instance.Environment.EventCount());
        return response;
    }

    /// <summary>A broker whose catalog has a second service, and one instance of the first provisioned on it.</summary>
    public sealed class Instance : IAsyncLifetime
    {
        public BrokerEnvironment Environment { get; private set; } = null!;
        public BrokerProcess Broker { get; private set; } = null!;
        public Guid InstanceId { get; } = Guid.NewGuid();

        public async Task InitializeAsync()
        {
            const string other = "Catalog__Services__1__";
            Environment = await BrokerEnvironment.Create(new Dictionary<string, string>
            {
                [$"{other}Id"] = OtherServiceId,
                [$"{other}Name"] = "other-service",
                [$"{other}Description"] = "Another service of the catalog",
                [$"{other}Bindable"] = "false",
                [$"{other}PlanUpdateable"] = "true",
                [$"{other}Plans__0__Id"] = OtherPlanId,
                [$"{other}Plans__0__Name"] = "other-plan",
                [$"{other}Plans__0__Description"] = "A plan of the other service",
                [$"{other}Plans__0__DiskMb"] = "1024",
            });
            Broker = await BrokerProcess.Start(Environment);
            await (await Broker.Client.Provision(InstanceId)).AcceptedOperation();
            var done = await Broker.Client.PollUntilDone(InstanceId);
            Assert.True(done.State == "succeeded", $"{done}\n{Broker.Output}");
        }

        /// <summary>The read model as it is before it caught up with the instance: without the instance's row.</summary>
        public async Task ForgetReadModelRow()
        {
            await using var command = Environment.Database.DataSource.CreateCommand("DELETE FROM broker.last_operations WHERE instance_id = $1");
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = InstanceId });
            await command.ExecuteNonQueryAsync();
        }

        public async Task DisposeAsync()
        {
            await Broker.DisposeAsync();
            await Environment.DisposeAsync();
        }
    }
}
