using System.Net;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Hosting;

/// <summary>
/// <c>Broker:Roles</c>: three processes on one deployment, each of one role alone, started one after the other so each
/// one's part shows: the api records the request (and maps the OSB routes; the others map none), the projector fills the
/// async read model (the instance directory) while nothing of the flow has run, and the worker carries the operation out
/// (its daemon runs the bus forwarder while the projector's daemon leads the read models: HotCold leads shard by shard).
/// </summary>
public sealed class RoleTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() =>
        _environment = await BrokerEnvironment.Create(new Dictionary<string, string> { ["Provisioners__Backend"] = "simulated" });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task ApiThenProjectorThenWorker_EachAloneDoesItsPartOnly_AndTogetherTheyProvision()
    {
        var instanceId = Guid.NewGuid();
        await using var api = await BrokerProcess.Start(_environment, Role("api"));
        Assert.Equal(["postgresql"], await ReadyChecks(api));
        Assert.Equal(HttpStatusCode.Accepted, (await api.Client.Provision(instanceId)).StatusCode);

        await using var projector = await BrokerProcess.Start(_environment, Role("projector"));
        Assert.Equal(["postgresql", "projection-lag"], await ReadyChecks(projector));
        Assert.Equal(HttpStatusCode.NotFound, (await projector.Client.GetAsync("/v2/catalog")).StatusCode);
        await Eventually.True(async () => await DirectoryRows(instanceId) == 1, $"instance {instanceId} in the instance directory (projector)",
            details: () => projector.Output);
        // No worker has run yet: the stream holds the request alone.
        Assert.IsType<ServiceInstanceProvisioningRequested>(Assert.Single(await _environment.InstanceEvents(instanceId)));

        await using var worker = await BrokerProcess.Start(_environment, Role("worker"));
        Assert.Equal(["masstransit-bus", "postgresql", "projection-lag", "rabbitmq"], await ReadyChecks(worker));
        Assert.Equal(HttpStatusCode.NotFound, (await worker.Client.GetAsync("/v2/catalog")).StatusCode);
        var done = await api.Client.PollUntilDone(instanceId, TimeSpan.FromSeconds(60), () => $"{api.Output}\n{worker.Output}\n{projector.Output}");
        Assert.True(done.State == "succeeded", $"{done}\n{worker.Output}");
        Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync("/v2/catalog")).StatusCode);
    }

    private static Dictionary<string, string> Role(string roles) => new() { ["Broker__Roles"] = roles };

    private static async Task<IReadOnlyList<string>> ReadyChecks(BrokerProcess broker)
    {
        var report = await (await broker.Client.GetAsync("/health/ready")).Json();
        return [.. report["checks"]!.AsObject().Select(check => check.Key).Order(StringComparer.Ordinal)];
    }

    private async Task<long> DirectoryRows(Guid instanceId)
    {
        await using var command = _environment.Database.DataSource.CreateCommand("SELECT count(*) FROM broker.instance_directory WHERE instance_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = instanceId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
