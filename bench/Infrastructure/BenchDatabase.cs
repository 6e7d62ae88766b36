using EventSourced.TestSupport;

namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// The bench's databases are the tests' <see cref="PostgresDatabase"/> (one per scenario, dropped after it), with a
/// bigger pool for the load levels and the few queries the scenarios run on them.
/// </summary>
public static class BenchDatabase
{
    public static Task<PostgresDatabase> Create(string purpose) => PostgresDatabase.Create($"bench_{purpose}", maxPoolSize: 200);

    public static async Task<T> Scalar<T>(this PostgresDatabase database, string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.CommandTimeout = 600;
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task Execute(this PostgresDatabase database, string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync();
    }
}
