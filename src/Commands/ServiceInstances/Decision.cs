using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>What a decision concluded: new events to append, or why none are needed or allowed.</summary>
public abstract record Decision
{
    public sealed record Accepted(Guid OperationId, IReadOnlyList<IDomainEvent> Events) : Decision
    {
        /// <summary>Events for a second stream the decision read, committed in the same transaction as these.</summary>
        public StreamAppend? Alongside { get; init; }
    }

    /// <summary>The same request is already being carried out by this operation.</summary>
    public sealed record AlreadyInProgress(Guid OperationId) : Decision;

    /// <summary>The request's outcome is already in place: nothing to do.</summary>
    public sealed record AlreadyDone : Decision;

    public sealed record Rejected(DomainError Error) : Decision;

    public static Decision Reject(DomainErrorCode code, string description) => new Rejected(new DomainError(code, description));
}

public enum DomainErrorCode { Invalid, NotFound, Gone, Conflict, ConcurrencyError, Unprocessable, MaintenanceInfoConflict, RequiresApp }

public sealed record DomainError(DomainErrorCode Code, string Description);

/// <summary>Events to append to <paramref name="StreamKey"/>, which the decision read at <paramref name="ExpectedVersion"/>.</summary>
public sealed record StreamAppend(string StreamKey, long ExpectedVersion, IReadOnlyList<IDomainEvent> Events);
