using EventSourced.Commands.ServiceInstances;
using EventSourced.ServiceManager.Brokers;
using EventSourced.ServiceManager.Resources;
using EventSourced.Commands.EventStore;

namespace EventSourced.ServiceManager.Instances;

/// <summary>How a call to the broker ended, as far as the operation that made it is concerned.</summary>
public abstract record Outcome
{
    public sealed record Done(string? DashboardUrl = null) : Outcome;
    public sealed record Accepted(string? BrokerOperation) : Outcome;
    public sealed record Running : Outcome;
    /// <summary>The broker refused: nothing was made.</summary>
    public sealed record Refused(string Description) : Outcome;
    /// <summary>The broker failed or did not answer: something may have been made.</summary>
    public sealed record Broken(string Description) : Outcome;

    /// <summary>What a broker's answer to a PUT, PATCH or DELETE of an instance or binding means for its operation.</summary>
    public static Outcome Of(BrokerAnswer answer, string operationType) => answer.Status switch
    {
        200 or 201 => new Done(answer.Json?["dashboard_url"]?.ToString()),
        410 when operationType == "delete" => new Done(),
        202 => new Accepted(answer.Json?["operation"]?.ToString()),
        >= 400 and < 500 => new Refused($"the broker refused ({answer.Status}): {Excerpt(answer.Json?["description"]?.ToString() ?? answer.Body)}"),
        _ => new Broken($"the broker failed ({answer.Status}): {Excerpt(answer.Json?["description"]?.ToString() ?? answer.Body)}"),
    };

    /// <summary>What a broker's answer to last_operation means.</summary>
    public static Outcome OfLastOperation(BrokerAnswer answer, string operationType) => answer.Status switch
    {
        200 => answer.Json?["state"]?.ToString() switch
        {
            Operation.Succeeded => new Done(answer.Json?["dashboard_url"]?.ToString()),
            Operation.Failed => new Broken($"the broker failed the operation: {answer.Json?["description"]}"),
            _ => new Running(),
        },
        410 when operationType == "delete" => new Done(),
        _ => new Running(),
    };

    public static string Excerpt(string text) => text.Length > 300 ? text[..300] + "…" : text;
}

/// <summary>
/// Records what the brokers did with the manager's operations, whoever learnt it first (the proxy's answer, a
/// platform's last_operation through the proxy, the poller): only an operation still in progress takes an outcome, so
/// learning it twice records it once.
/// </summary>
public sealed class InstanceRecorder(ManagerStreams streams, TimeProvider clock)
{
    public Task<Decision> RecordInstance(string instanceId, string operationId, Outcome outcome, CancellationToken ct) =>
        streams.Handle<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(instanceId), (state, _, _) =>
            Task.FromResult(Decide(state.Operations.FirstOrDefault(o => o.Id == operationId), outcome)), ct);

    public Task<Decision> RecordBinding(string bindingId, string operationId, Outcome outcome, CancellationToken ct) =>
        streams.Handle<ManagedBinding, ManagedBinding>(ManagedBinding.StreamKey(bindingId), (state, _, _) =>
            Task.FromResult(Decide(state.Operations.FirstOrDefault(o => o.Id == operationId), outcome)), ct);

    private Decision Decide(Operation? operation, Outcome outcome)
    {
        if (operation is not { Running: true }) return new Decision.AlreadyDone();
        var now = clock.GetUtcNow();
        return outcome switch
        {
            Outcome.Done done => ManagerStreams.Accept(new OperationSucceeded(operation.Id, done.DashboardUrl, now)),
            Outcome.Accepted accepted when !operation.Accepted => ManagerStreams.Accept(new BrokerAcceptedOperation(operation.Id, accepted.BrokerOperation, now)),
            Outcome.Refused refused => ManagerStreams.Accept(new OperationFailed(operation.Id, refused.Description, false, now)),
            Outcome.Broken broken => ManagerStreams.Accept(new OperationFailed(operation.Id, broken.Description, operation.Type == "create", now)),
            _ => new Decision.AlreadyDone(),
        };
    }

    /// <summary>The result of an orphan-mitigation attempt: gone at the broker, or why not yet (recorded when the reason changes).</summary>
    public Task<Decision> RecordMitigation<TKind, TState>(string streamKey, bool gone, string? why, Func<TState, Operation?> last, CancellationToken ct)
        where TKind : IStreamKind<TState> =>
        streams.Handle<TKind, TState>(streamKey, (state, _, _) =>
        {
            var operation = last(state);
            if (operation is not { OrphanMitigationPending: true }) return Task.FromResult<Decision>(new Decision.AlreadyDone());
            IDomainEvent e = gone ? new OrphanMitigated(clock.GetUtcNow()) : new OrphanMitigationAttemptFailed(why!, clock.GetUtcNow());
            return Task.FromResult(gone || operation.Mitigation != $"orphan mitigation retrying: {why}"
                ? ManagerStreams.Accept(e)
                : new Decision.AlreadyDone());
        }, ct);
}
