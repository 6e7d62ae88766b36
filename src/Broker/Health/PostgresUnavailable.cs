using EventSourced.Broker.Osb;
using EventSourced.Commands.EventStore;

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
        catch (Exception e) when (!context.Response.HasStarted && DatabaseUnreachable.Is(e))
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
}
