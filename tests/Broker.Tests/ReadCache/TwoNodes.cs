using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;
using Npgsql;

namespace EventSourced.Broker.Tests.ReadCache;

/// <summary>
/// Node A runs everything (simulated backend); node B is an api node, named <c>node-b</c> in PostgreSQL, whose read cache
/// answers the polls of the tests. One environment for the class.
/// </summary>
public sealed class TwoNodes : IAsyncLifetime
{
    public const string NodeB = "node-b";

    public BrokerEnvironment Environment { get; private set; } = null!;
    public BrokerProcess A { get; private set; } = null!;
    public BrokerProcess B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Backend"] = "simulated",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__EventSourced.Projections.ReadCache"] = "Information",
        });
        var (a, b) = (BrokerProcess.Start(Environment), BrokerProcess.Start(Environment, new Dictionary<string, string>
        {
            ["Broker__Roles"] = "api",
            ["ConnectionStrings__Postgres"] = $"{Environment.Database.ConnectionString};Application Name={NodeB}",
            // Long enough for a whole deprovisioning to be committed while the killed listener is away.
            ["ReadCache__ReconnectDelay"] = "00:00:10",
        }));
        try
        {
            await Task.WhenAll(a, b);
        }
        finally
        {
            // The one that started is stopped with the fixture even when the other did not.
            if (a.IsCompletedSuccessfully) A = a.Result;
            if (b.IsCompletedSuccessfully) B = b.Result;
        }
    }

    public async Task DisposeAsync()
    {
        if (A is not null) await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        if (Environment is not null) await Environment.DisposeAsync();
    }

    /// <summary>Provisions on A and waits until B answers its outcome (B's cache then holds the succeeded provisioning).</summary>
    public async Task<Guid> Provisioned() => (await Provisioning()).Instance;

    /// <inheritdoc cref="Provisioned"/>
    public async Task<(Guid Instance, Guid Operation)> Provisioning()
    {
        var instanceId = Guid.NewGuid();
        var operation = Guid.Parse(await (await A.Client.Provision(instanceId)).AcceptedOperation());
        var done = await B.Client.PollUntilDone(instanceId, details: () => A.Output);
        Assert.Equal("succeeded", done.State);
        Assert.Equal("succeeded", (await B.Client.PollUntilDone(instanceId)).State);
        return (instanceId, operation);
    }

    public async Task<Guid> Deprovision(Guid instanceId) => Guid.Parse(await (await A.Client.Deprovision(instanceId)).AcceptedOperation());

    public async Task<Guid> Update(Guid instanceId, int maxConnections) => Guid.Parse(await (await A.Client.PatchAsJsonAsync(
        $"/v2/service_instances/{instanceId}?accepts_incomplete=true",
        new { service_id = Hosting.Osb.ServiceId, parameters = new { max_connections = maxConnections } })).AcceptedOperation());

    /// <summary>What B answers to last_operation: <c>410</c>, or <c>state|description</c>, or the status and body.</summary>
    public async Task<string> PollB(Guid instanceId, Guid? operationId = null)
    {
        var response = await B.Client.GetAsync($"/v2/service_instances/{instanceId}/last_operation"
                                               + (operationId is { } id ? $"?operation={id}" : ""));
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode == 410) return "410";
        if ((int)response.StatusCode != 200) return $"{(int)response.StatusCode} {text}";
        var body = JsonNode.Parse(text)!;
        return $"{(string?)body["state"]}|{(string?)body["description"]}";
    }

    /// <summary>What last_operation answers at each version of the instance's stream (index 0: version 1), per operation.</summary>
    public async Task<IReadOnlyList<(Guid? Operation, string Answer)>> AnswersByVersion(Guid instanceId)
    {
        var events = await Environment.InstanceEvents(instanceId);
        return Enumerable.Range(1, events.Count).Select(version => ServiceInstance.Fold(events.Take(version)).LastOperation)
            .Select(op => (op?.Id, op switch
            {
                null => "none",
                { Kind: OperationKind.Deprovision, State: OperationState.Succeeded } => "410",
                _ => $"{OperationStates.Osb(op.State)}|{op.Description}",
            })).ToList();
    }

    /// <summary>The PostgreSQL backend of B's change listener (its barriers set synchronous_commit), when connected.</summary>
    public async Task<int?> ListenerOfB()
    {
        await using var command = Environment.Database.DataSource.CreateCommand(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%synchronous_commit%pg_notify%'");
        command.Parameters.Add(new NpgsqlParameter { Value = NodeB });
        return await command.ExecuteScalarAsync() is int pid ? pid : null;
    }

    public async Task Terminate(int pid)
    {
        await using var command = Environment.Database.DataSource.CreateCommand("SELECT pg_terminate_backend($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = pid });
        await command.ExecuteScalarAsync();
    }
}
