using EventSourced.TestSupport;
using System.Net;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using Npgsql;

namespace EventSourced.Broker.Tests.Admin;

/// <summary>
/// A step whose retries run out lands in its endpoint's error queue: operators see it on /admin/dead-letters and send it
/// back with a command, and the operation it belongs to then completes.
/// </summary>
public sealed class DeadLetterTests
{
    private const string StorageEndpoint = "storage-sub-provisioner";

    [Fact]
    public async Task StepOutOfRetries_IsListed_AndRedrivenItsOperationCompletes()
    {
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Backend"] = "simulated",
            // Only the operator re-drives it here.
            ["Provisioners__NudgeAfter"] = "01:00:00",
        });
        await using var broker = await BrokerProcess.Start(environment);
        var instanceId = Guid.NewGuid();
        // The database refuses to record the storage step, every time (as a full disk would).
        await Sql(environment, """
            CREATE FUNCTION broker.refuse_storage() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.type = 'StorageProvisioned' THEN RAISE EXCEPTION 'no space left (test)'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER refuse_storage BEFORE INSERT ON broker.mt_events FOR EACH ROW EXECUTE FUNCTION broker.refuse_storage();
            """);
        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(instanceId)).StatusCode);

        var queue = await Eventually.Until(async () => await DeadLetterQueue(broker, StorageEndpoint), q => q?["messages"]?.GetValue<int>() == 1,
            "the storage step in its error queue", 60);
        var letter = queue!["first"]!.AsArray().Single()!;
        Assert.Equal("ProvisionStorage", (string?)letter["messageType"]);
        Assert.True(((string?)letter["reason"])?.Contains("no space left (test)") == true, letter.ToJsonString() + "\n" + broker.Output);
        Assert.Equal("in progress", (string?)(await (await broker.Client.LastOperation(instanceId)).Json())["state"]);

        await Sql(environment, "DROP TRIGGER refuse_storage ON broker.mt_events");
        var redriven = await broker.Client.PostAsync($"/admin/dead-letters/redrive?endpoint={StorageEndpoint}", null);
        Assert.Equal(1, (await redriven.Json())["moved"]!.GetValue<int>());

        var done = await broker.Client.PollUntilDone(instanceId, TimeSpan.FromSeconds(60));
        Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");
        Assert.Single((await environment.InstanceEvents(instanceId)).OfType<StorageProvisioned>());
        Assert.Equal(0, (await DeadLetterQueue(broker, StorageEndpoint))!["messages"]!.GetValue<int>());
    }

    [Fact]
    public async Task Redrive_UnknownEndpoint_IsRefusedNamingTheEndpoints()
    {
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string> { ["Provisioners__Backend"] = "simulated" });
        await using var broker = await BrokerProcess.Start(environment);

        var refused = await broker.Client.PostAsync("/admin/dead-letters/redrive?endpoint=../../etc", null);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(StorageEndpoint, (string?)(await refused.Json())["description"]);
    }

    private static async Task<JsonNode?> DeadLetterQueue(BrokerProcess broker, string endpoint)
    {
        var response = await broker.Client.GetAsync("/admin/dead-letters");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().FirstOrDefault(q => (string?)q!["endpoint"] == endpoint);
    }

    private static async Task Sql(BrokerEnvironment environment, string sql)
    {
        await using var connection = new NpgsqlConnection(environment.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

}
