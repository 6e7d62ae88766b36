using EventSourced.TestSupport;
using Npgsql;

namespace EventSourced.Broker.Tests.DayTwo;

/// <summary>SQL on a dedicated instance's database, as its admin role: what the day-2 tests write before and read after.</summary>
public static class InstanceSql
{
    public static async Task Execute(this BrokerEnvironment environment, Guid instanceId, string sql)
    {
        await using var connection = await Open(environment, instanceId);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> Scalar<T>(this BrokerEnvironment environment, Guid instanceId, string sql)
    {
        await using var connection = await Open(environment, instanceId);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static Task<string> Show(this BrokerEnvironment environment, Guid instanceId, string setting) =>
        environment.Scalar<string>(instanceId, $"SHOW {setting}");

    /// <summary>The extensions of the instance's database but plpgsql, sorted.</summary>
    public static Task<string[]> Extensions(this BrokerEnvironment environment, Guid instanceId) =>
        environment.Scalar<string[]>(instanceId,
            "SELECT coalesce(array_agg(extname::text ORDER BY extname), '{}') FROM pg_extension WHERE extname <> 'plpgsql'");

    private static async Task<NpgsqlConnection> Open(BrokerEnvironment environment, Guid instanceId)
    {
        var connection = new NpgsqlConnection(await environment.AdminConnectionString(instanceId));
        await connection.OpenAsync();
        return connection;
    }
}
