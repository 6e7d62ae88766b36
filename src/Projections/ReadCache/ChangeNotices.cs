using System.Globalization;

namespace EventSourced.Projections.ReadCache;

/// <summary>
/// The notifications that tell every node a last_operations row changed: <c>pg_notify</c> on the schema's channel,
/// queued in the append's transaction (so PostgreSQL delivers it on commit, never for a rollback), payload
/// <c>{instance id}:{stream version}</c>.
/// </summary>
public static class ChangeNotices
{
    /// <summary>Queued with Marten's <c>QueueSqlCommand</c>: the channel, then the payloads.</summary>
    public const string NotifySql = "SELECT count(pg_notify(?, p)) FROM unnest(?::text[]) AS p";

    public static string Channel(string schema) => $"{schema}_last_operations";

    public static string Payload(Guid id, long version) => $"{id:N}:{version.ToString(CultureInfo.InvariantCulture)}";

    public static bool TryParse(string payload, out Guid id, out long version)
    {
        (id, version) = (Guid.Empty, 0);
        var colon = payload.IndexOf(':');
        return colon > 0 && Guid.TryParseExact(payload.AsSpan(0, colon), "N", out id)
               && long.TryParse(payload.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }
}
