using System.Text.Json;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;
using Npgsql;

namespace EventSourced.Projections.Tests.Support;

/// <summary>Compares the read models' rows with the fold of their streams, and damages rows on purpose.</summary>
public static class ReadModelRows
{
    /// <summary>The ids of instances whose last_operations row, directory row or stored version differs from their stream.</summary>
    public static async Task<IReadOnlyList<Guid>> NotAsFolded(BrokerNode node, NpgsqlDataSource db, IEnumerable<Guid> instanceIds)
    {
        var wrong = new List<Guid>();
        foreach (var id in instanceIds)
        {
            var (state, version) = await node.Instances.Load(id);
            var row = await node.LastOperations.Find(id);
            var directory = await node.Directory.Find(id);
            var same = row is not null && Json(row) == Json(state)
                && await Version(db, "last_operations", id) == version
                && directory == (state.Exists ? InstanceSummary.Of(state) : null);
            if (!same) wrong.Add(id);
        }
        return wrong;
    }

    /// <summary>Runs each statement with the instance ids as its $1.</summary>
    public static async Task Execute(NpgsqlDataSource db, IEnumerable<Guid> instanceIds, params string[] statements)
    {
        var ids = instanceIds.ToArray();
        foreach (var sql in statements)
        {
            await using var command = db.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = ids });
            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task<long?> Version(NpgsqlDataSource db, string table, Guid instanceId)
    {
        await using var command = db.CreateCommand($"SELECT version FROM broker.{table} WHERE instance_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = instanceId });
        return (long?)await command.ExecuteScalarAsync();
    }

    private static string Json(ServiceInstance state) => JsonSerializer.Serialize(state, EventJson.Options);
}
