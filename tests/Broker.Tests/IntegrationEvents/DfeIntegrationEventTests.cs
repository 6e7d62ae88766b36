using EventSourced.TestSupport;
using JasperFx.Events;
using System.Net;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.IntegrationEvents;

/// <summary>What an outside subscriber of the <c>dfe</c> exchange sees of an instance's life, through plain RabbitMQ.Client.</summary>
public sealed class DfeIntegrationEventTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly string[] Lifecycle =
    [
        "dfe.storage.provisioned", "dfe.database.provisioned", "dfe.provisioned",
        "dfe.database.deprovisioned", "dfe.storage.deprovisioned", "dfe.deprovisioned",
    ];

    [Fact]
    public async Task ProvisionThenDeprovision_SubscriberReceivesTheLifecycleInOrderAsPlainJsonWithoutSecrets()
    {
        await using var subscriber = await DfeSubscriber.Connect(fixture.Environment.VirtualHost.Name);
        var client = fixture.Broker.Client;
        var instanceId = Guid.NewGuid();

        var provisioning = Guid.Parse((string)(await (await client.Provision(instanceId)).Json())["operation"]!);
        var provisioned = await client.PollUntilDone(instanceId);
        Assert.True(provisioned.State == "succeeded", $"{provisioned}\n{fixture.Broker.Output}");
        var history = await History(instanceId);
        var deprovision = await client.Deprovision(instanceId);
        Assert.Equal(HttpStatusCode.Accepted, deprovision.StatusCode);
        var deprovisioning = Guid.Parse((string)(await deprovision.Json())["operation"]!);
        var gone = await client.PollUntilDone(instanceId);
        Assert.True(gone.Status == HttpStatusCode.Gone, $"{gone}\n{fixture.Broker.Output}");

        var messages = await ReceivedFor(subscriber, instanceId, Lifecycle.Length);
        Assert.Equal(Lifecycle, messages.Select(m => m.Message.RoutingKey));
        var log = (await History(instanceId)).ToDictionary(e => e.Id);
        var server = ServiceInstance.Fold(history.Select(e => (IDomainEvent)e.Data)).Server!;
        foreach (var (message, body) in messages)
        {
            Assert.Equal("application/json", message.ContentType);
            Assert.Equal(message.RoutingKey, (string?)body["event"]);
            var eventId = Guid.Parse((string)body["eventId"]!);
            Assert.Equal(eventId.ToString(), message.MessageId);
            Assert.True(log.TryGetValue(eventId, out var recorded), $"{message.RoutingKey}: eventId {eventId} is not an event of the instance's stream");
            Assert.Equal(instanceId, Guid.Parse((string)body["instanceId"]!));
            var operation = message.RoutingKey.EndsWith(".deprovisioned") ? deprovisioning : provisioning;
            Assert.Equal(operation, Guid.Parse((string)body["operationId"]!));
            Assert.Equal(Hosting.Osb.ServiceId, (string?)body["serviceId"]);
            Assert.Equal(Hosting.Osb.SmallPlanId, (string?)body["planId"]);
            Assert.Equal(recorded.Timestamp, DateTimeOffset.Parse((string)body["occurredAt"]!));
        }
        Assert.Equal($"postgresql://127.0.0.1:{server.Port}/service", (string?)messages[2].Body["resourceUri"]);

        var secrets = AdminPasswordSecrets(history);
        foreach (var (message, _) in messages)
        {
            Assert.DoesNotContain("password", message.Body, StringComparison.OrdinalIgnoreCase);
            foreach (var secret in secrets) Assert.DoesNotContain(secret, message.Body);
        }
    }

    /// <summary>Waits for the instance's messages: the publisher follows the log asynchronously.</summary>
    private static async Task<IReadOnlyList<(DfeMessage Message, JsonObject Body)>> ReceivedFor(DfeSubscriber subscriber, Guid instanceId, int expected) =>
        await Eventually.Until(() => Task.FromResult(subscriber.Received
                .Select(m => (Message: m, Body: JsonNode.Parse(m.Body)!.AsObject()))
                .Where(m => (string?)m.Body["instanceId"] == instanceId.ToString())
                .ToList()),
            messages => messages.Count >= expected, $"{expected} messages about instance {instanceId}", seconds: 30);

    private Task<IReadOnlyList<IEvent>> History(Guid instanceId) => fixture.Environment.Stream(ServiceInstance.StreamId(instanceId));

    /// <summary>The admin password in clear and as stored: neither may leave the broker on the exchange.</summary>
    private IReadOnlyList<string> AdminPasswordSecrets(IReadOnlyList<IEvent> history)
    {
        var database = history.Select(e => e.Data).OfType<DatabaseProvisioned>().Single();
        return [new SecretProtector(fixture.Environment.SecretKey).Unprotect(database.EncryptedAdminPassword), database.EncryptedAdminPassword];
    }
}
