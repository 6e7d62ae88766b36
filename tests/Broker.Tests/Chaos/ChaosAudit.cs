using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using Npgsql;

namespace EventSourced.Broker.Tests.Chaos;

/// <summary>Something the log, the read model and the backend disagree on, or an operation that never ended.</summary>
internal sealed record Violation(Guid? InstanceId, string What)
{
    public override string ToString() => InstanceId is { } id ? $"instance {id}: {What}" : What;
}

/// <summary>
/// Compares the run's event log with what exists: every operation ended, no step succeeded twice in one operation, every
/// provisioned instance has exactly one server that answers on its recorded port with its admin credentials and runs
/// with the settings of its last successful update, and nothing else runs or lies under the data root.
/// </summary>
internal sealed class ChaosAudit(BrokerEnvironment environment)
{
    private static readonly TimeSpan ServerGrace = TimeSpan.FromSeconds(15);

    public async Task<(IReadOnlyList<InstanceHistory> Histories, IReadOnlyList<Violation> Violations)> Run(ChaoticBroker broker)
    {
        var histories = await InstanceHistory.All(environment);
        var violations = new List<Violation>();
        var client = (await broker.Current.WaitAsync(TimeSpan.FromSeconds(90))).Client;
        foreach (var history in histories)
        {
            violations.AddRange(Log(history));
            violations.AddRange(await ReadModel(history, client));
            violations.AddRange(await Backend(history));
        }
        violations.AddRange(Machine(histories));
        return (histories, violations);
    }

    private static IEnumerable<Violation> Log(InstanceHistory history)
    {
        var state = history.State;
        Violation Fault(string what) => new(history.InstanceId, what);
        foreach (var operation in state.Operations.Where(operation => operation.InProgress))
            yield return Fault($"{operation.Kind} operation {operation.Id} never ended (last step: {operation.Description})");
        foreach (var operation in history.DomainEvents.GroupBy(e => InstanceHistory.OperationOf(e)).Where(g => g.Key is not null))
        {
            foreach (var twice in operation.Where(IsSuccess).GroupBy(e => e.GetType().Name).Where(g => g.Count() > 1))
                yield return Fault($"{twice.Key} recorded {twice.Count()} times in operation {operation.Key}");
            var ends = operation.Where(IsEnd).Select(e => e.GetType().Name).ToList();
            if (ends.Count > 1) yield return Fault($"operation {operation.Key} ended {ends.Count} times: {string.Join(", ", ends)}");
        }
        switch (state.Status)
        {
            case InstanceStatus.Provisioned:
                foreach (var (provisioned, count, removed) in new[]
                         {
                             (nameof(StorageProvisioned), history.Count<StorageProvisioned>(), history.Count<StorageDeprovisioned>()),
                             (nameof(ServerProvisioned), history.Count<ServerProvisioned>(), history.Count<ServerDeprovisioned>()),
                             (nameof(DatabaseProvisioned), history.Count<DatabaseProvisioned>(), history.Count<DatabaseDeprovisioned>()),
                         })
                    if (count != 1 || removed != 0)
                        yield return Fault($"provisioned instance has {count} × {provisioned} and {removed} removals (exactly one and none expected)");
                break;
            case InstanceStatus.ProvisioningFailed:
                foreach (var (provisioned, count, removed) in new[]
                         {
                             (nameof(StorageProvisioned), history.Count<StorageProvisioned>(), history.Count<StorageDeprovisioned>()),
                             (nameof(ServerProvisioned), history.Count<ServerProvisioned>(), history.Count<ServerDeprovisioned>()),
                             (nameof(DatabaseProvisioned), history.Count<DatabaseProvisioned>(), history.Count<DatabaseDeprovisioned>()),
                         })
                    if (count > removed)
                        yield return Fault($"failed provisioning recorded {count} × {provisioned} but only {removed} removals");
                break;
        }
    }

    /// <summary>last_operation, as a platform polls it, says what the log says.</summary>
    private static async Task<IEnumerable<Violation>> ReadModel(InstanceHistory history, HttpClient client)
    {
        if (history.State.LastOperation is not { } last) return [];
        var expected = last.State switch { OperationState.Succeeded => "succeeded", OperationState.Failed => "failed", _ => "in progress" };
        var response = await client.LastOperation(history.InstanceId);
        var body = await response.Content.ReadAsStringAsync();
        var state = response.IsSuccessStatusCode ? (string?)JsonNode.Parse(body)?["state"] : null;
        return state == expected
            ? []
            : [new Violation(history.InstanceId, $"last_operation answers {(int)response.StatusCode} {body}; the log says {last.Kind} {expected}")];
    }

    private async Task<IEnumerable<Violation>> Backend(InstanceHistory history)
    {
        var state = history.State;
        var directory = Path.Combine(environment.DataRoot, history.InstanceId.ToString());
        switch (state.Status)
        {
            case InstanceStatus.Provisioned:
                if (!Directory.Exists(directory)) return [new Violation(history.InstanceId, $"provisioned, but its directory {directory} is gone")];
                if (state.Server is null || state.Database is null) return [new Violation(history.InstanceId, "provisioned without a server or database in the log")];
                return await ServerAnswers(history.InstanceId, state);
            case InstanceStatus.ProvisioningFailed:
                return Directory.Exists(directory)
                    ? [new Violation(history.InstanceId, $"provisioning failed, but {directory} remains: {string.Join(", ", Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName))}")]
                    : [];
            default:
                return [];
        }
    }

    /// <summary>Logs in with the admin credentials of the log on the recorded port and compares max_connections with the last successful update's.</summary>
    private async Task<IEnumerable<Violation>> ServerAnswers(Guid instanceId, ServiceInstance state)
    {
        var password = new SecretProtector(environment.SecretKey).Unprotect(state.Database!.EncryptedAdminPassword);
        var expected = ExpectedMaxConnections(state);
        var connectionString = $"Host={state.Server!.Host};Port={state.Server.Port};Database={state.Database.Database};" +
                               $"Username={state.Database.AdminUsername};Password={password};Pooling=false;Timeout=5";
        var deadline = DateTime.UtcNow + ServerGrace;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var show = new NpgsqlCommand("SHOW max_connections", connection);
                var actual = (string?)await show.ExecuteScalarAsync();
                return actual == expected
                    ? []
                    : [new Violation(instanceId, $"the server on port {state.Server.Port} runs with max_connections = {actual}; the last successful update (or the default) says {expected}")];
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                if (DateTime.UtcNow > deadline)
                    return [new Violation(instanceId, $"provisioned, but no login on port {state.Server.Port} with its admin credentials: {e.Message}")];
                await Task.Delay(500);
            }
        }
    }

    private static string ExpectedMaxConnections(ServiceInstance state) =>
        (state.Parameters is { } parameters ? JsonNode.Parse(parameters)?["max_connections"]?.ToString() : null)
        ?? ServerSettings.Defaults["max_connections"];

    /// <summary>The data root and /proc against the log: one postmaster and one directory per provisioned instance, nothing else.</summary>
    private IEnumerable<Violation> Machine(IReadOnlyList<InstanceHistory> histories)
    {
        var status = histories.ToDictionary(h => h.InstanceId, h => h.State.Status);
        var postmasters = ServerProcesses.Postmasters(environment.DataRoot);
        foreach (var group in postmasters.GroupBy(p => p.InstanceId))
        {
            var pids = string.Join(", ", group.Select(p => $"{p.Pid} (-D {p.DataDirectory})"));
            if (!status.TryGetValue(group.Key, out var instanceStatus))
                yield return new Violation(group.Key, $"postmaster {pids} runs for an instance the log does not know");
            else if (instanceStatus != InstanceStatus.Provisioned)
                yield return new Violation(group.Key, $"postmaster {pids} runs, but the log says {instanceStatus}");
            else if (group.Count() > 1)
                yield return new Violation(group.Key, $"{group.Count()} postmasters run: {pids}");
        }
        foreach (var provisioned in status.Where(s => s.Value == InstanceStatus.Provisioned).Select(s => s.Key))
            if (postmasters.All(p => p.InstanceId != provisioned))
                yield return new Violation(provisioned, "provisioned, but no postmaster runs from its data directory");
        foreach (var directory in Directory.EnumerateDirectories(environment.DataRoot))
            if (Guid.TryParse(Path.GetFileName(directory), out var id) && !status.ContainsKey(id))
                yield return new Violation(id, $"{directory} exists for an instance the log does not know");
        foreach (var shared in histories.Where(h => h.State is { Status: InstanceStatus.Provisioned, Server: not null })
                     .GroupBy(h => h.State.Server!.Port).Where(g => g.Count() > 1))
            yield return new Violation(null, $"port {shared.Key} is recorded for {shared.Count()} instances: {string.Join(", ", shared.Select(h => h.InstanceId))}");
    }

    private static bool IsSuccess(IDomainEvent e) => e is StorageProvisioned or ServerProvisioned or DatabaseProvisioned
        or ServiceInstanceProvisioned or ServerReconfigured or ServiceInstanceUpdated;

    private static bool IsEnd(IDomainEvent e) => e is ServiceInstanceProvisioned or ServiceInstanceProvisioningFailed
        or ServiceInstanceProvisioningCancelled or ServiceInstanceUpdated or ServiceInstanceUpdateFailed;
}
