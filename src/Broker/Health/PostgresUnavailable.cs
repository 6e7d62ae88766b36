using System.Net.Sockets;
using EventSourced.Broker.Osb;
using Npgsql;

namespace EventSourced.Broker.Health;

/// <summary>
/// A request that fails because PostgreSQL cannot be reached (refused, timed out, shutting down, out of connections)
/// answers 503 with an OSB error body and <c>Retry-After</c>, never a 500: nothing was recorded, and the platform may
/// simply ask again later. Errors PostgreSQL reports about a statement (constraint, syntax…) are left to fail as they do.
/// </summary>
internal sealed class PostgresUnavailable(RequestDelegate next, ILogger<PostgresUnavailable> log)
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && IsUnreachable(e))
        {
            log.LogWarning("{Method} {Path}: PostgreSQL is unavailable ({Reason}); answered 503",
                context.Request.Method, context.Request.Path, e.GetBaseException().Message);
            context.Response.Clear();
            context.Response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString();
            await Results.Json(new OsbError("ServiceUnavailable",
                    $"The broker's database is unavailable ({e.GetBaseException().Message}); nothing was recorded. Retry later."),
                statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
        }
    }

    private static bool IsUnreachable(Exception e)
    {
        for (Exception? cause = e; cause is not null; cause = cause.InnerException)
        {
            switch (cause)
            {
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
