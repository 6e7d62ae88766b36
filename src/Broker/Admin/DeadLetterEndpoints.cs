using EventSourced.Provisioners.DeadLetters;

namespace EventSourced.Broker.Admin;

/// <summary>Messages whose retries ran out: <c>GET /admin/dead-letters</c> lists them, <c>POST …/redrive</c> sends them back.</summary>
public static class DeadLetterEndpoints
{
    private const int MaxPeek = 100;

    public static RouteGroupBuilder MapDeadLetters(this RouteGroupBuilder admin)
    {
        admin.MapGet("/dead-letters", async (DeadLetterQueues queues, CancellationToken ct, int peek = 10) =>
            peek is < 0 or > MaxPeek
                ? Results.BadRequest(new { error = "BadRequest", description = $"'peek' must be 0..{MaxPeek}." })
                : Results.Ok(await queues.List(peek, ct)));
        admin.MapPost("/dead-letters/redrive", async (DeadLetterQueues queues, CancellationToken ct, string? endpoint = null) =>
        {
            try
            {
                return Results.Ok(new { moved = await queues.Redrive(endpoint, ct) });
            }
            catch (ArgumentException e)
            {
                return Results.BadRequest(new { error = "BadRequest", description = e.Message });
            }
        });
        return admin;
    }
}
