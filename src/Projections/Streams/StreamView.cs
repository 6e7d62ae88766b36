using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace EventSourced.Projections.Streams;

/// <summary>
/// A read model with one row per stream of a kind (by stream key prefix), each row the fold of its whole stream and
/// stamped with the stream version it reflects. A row is written only over one of the same or an older version, so the
/// inline writer, the daemon and a rebuild can run at the same time in any order, and a row never moves backwards.
/// Registered with Marten as a raw projection (inline or async); <see cref="Rebuild.StreamViewRebuilder"/> recomputes
/// rows in place without ever removing one, so readers never miss a row during a rebuild.
/// </summary>
/// <param name="name">The name shown by `projections list` and taken by `projections rebuild`.</param>
/// <param name="lifecycle">Inline (written in the append's transaction) or Async (Marten's daemon).</param>
/// <param name="streamPrefix">The stream key prefix of the streams this view folds, e.g. <c>service-instance-</c>.</param>
/// <param name="schema">The event store's schema, where the view's table lives too.</param>
/// <param name="tableName">The view's table.</param>
public abstract class StreamView(string name, ProjectionLifecycle lifecycle, string streamPrefix, string schema, string tableName) : IProjection
{
    public string Name { get; } = name;

    public ProjectionLifecycle Lifecycle { get; } = lifecycle;

    public string StreamPrefix { get; } = streamPrefix;

    /// <summary>
    /// Whether every live stream of the prefix has a row (false: only the streams the view is about, e.g. clusters and
    /// their databases), so a rebuild's check knows how many rows to expect.
    /// </summary>
    public virtual bool RowPerStream => true;

    /// <summary>The table's schema-qualified name, for the view's SQL.</summary>
    protected string QualifiedTable { get; } = $"{schema}.{tableName}";

    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var touched = events.Where(e => e.StreamKey?.StartsWith(StreamPrefix, StringComparison.Ordinal) == true && Concerns(e))
            .Select(e => e.StreamKey!).Distinct().ToList();
        if (touched.Count == 0) return;
        var streams = await StreamHistory.Load(operations, touched, events, cancellation);
        Write(operations, streams);
    }

    /// <summary>
    /// Whether an appended event can change the view's row of its stream (true: every event does). A view that only a few
    /// kinds of event change skips loading and folding the streams of the others, on every append.
    /// </summary>
    protected virtual bool Concerns(IEvent appended) => true;

    /// <summary>The view's table, part of Marten's schema.</summary>
    public Table Table()
    {
        var table = new Table(new PostgresqlObjectName(schema, tableName, SchemaUtils.IdentifierUsage.General));
        DefineColumns(table);
        return table;
    }

    /// <summary>The columns and indexes of the view's table.</summary>
    protected abstract void DefineColumns(Table table);

    /// <summary>
    /// Queues the rows of the given whole streams (each in version order) into the session's unit of work. A row only
    /// replaces one of the same or an older version, unless <paramref name="replace"/> (a rebuild that holds the streams).
    /// </summary>
    public abstract void Write(IDocumentOperations operations, IReadOnlyDictionary<string, IReadOnlyList<IEvent>> streams, bool replace = false);

    /// <summary>
    /// Queues the removal of the rows of instances that no longer exist (keyed by <c>instance_id</c>), each only over a
    /// row of the same or an older version unless <paramref name="replace"/>.
    /// </summary>
    protected void QueueRemoval(IDocumentOperations operations, IReadOnlyCollection<(Guid Id, long Version)> gone, bool replace)
    {
        if (gone.Count == 0) return;
        operations.QueueSqlCommand(
            $"DELETE FROM {QualifiedTable} r USING unnest(?::uuid[], ?::bigint[]) AS g(id, version) WHERE r.instance_id = g.id"
            + (replace ? "" : " AND r.version <= g.version"),
            gone.Select(r => r.Id).ToArray(), gone.Select(r => r.Version).ToArray());
    }

    /// <summary>The upsert's condition on the stored row (aliased <paramref name="alias"/>).</summary>
    protected static string Guard(string alias, bool replace) => replace ? "" : $"WHERE {alias}.version <= excluded.version";
}
