using System.Net.Sockets;
using Npgsql;

namespace EventSourced.Commands.EventStore;

/// <summary>
/// Whether a failure means PostgreSQL cannot be reached (refused, timed out, shutting down, out of connections) rather
/// than an error it reported about a statement (constraint, syntax…).
/// </summary>
public static class DatabaseUnreachable
{
    public static bool Is(Exception e)
    {
        for (Exception? cause = e; cause is not null; cause = cause.InnerException)
        {
            switch (cause)
            {
                case EventStoreFailureException failure:
                    return failure.Unreachable;
                // Server going away or not taking sessions: admin/crash shutdown, cannot connect now, too many connections.
                case PostgresException p:
                    return p.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                               or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
                           || p.SqlState.StartsWith("08", StringComparison.Ordinal);
                // Connection refused, reset, timed out: Npgsql's own errors carry the socket or timeout as their cause.
                case NpgsqlException n when n.InnerException is SocketException or IOException or TimeoutException || n.IsTransient:
                    return true;
                case SocketException:
                    return true;
            }
        }
        return false;
    }
}
