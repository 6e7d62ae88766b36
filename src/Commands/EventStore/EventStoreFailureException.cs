using Marten.Exceptions;
using Npgsql;

namespace EventSourced.Commands.EventStore;

/// <summary>
/// The database refused or failed a read or write of the event store; carries the database's error as text only.
/// Marten's command failure holds the failed NpgsqlCommand (with its connection) in its Data, which MassTransit cannot
/// serialize into the fault of a message whose retries ran out: the error queue got a TypeLoadException about
/// INpgsqlTypeMapper as the message's reason instead of the database's error.
/// </summary>
public sealed class EventStoreFailureException(string message, bool unreachable) : Exception(message)
{
    /// <summary>The database could not be reached (see <see cref="DatabaseUnreachable"/>): nothing was recorded, retry later.</summary>
    public bool Unreachable { get; } = unreachable;

    public static bool Translates(Exception e) => e is MartenCommandException or NpgsqlException;

    public static EventStoreFailureException From(Exception e) =>
        new((e as PostgresException ?? e.InnerException as PostgresException) is { } p
            ? $"The event store failed: {p.SqlState}: {p.MessageText}"
            : $"The event store failed: {e.InnerException?.Message ?? e.Message}",
            DatabaseUnreachable.Is(e));
}
