using Npgsql;

namespace EventSourced.TestSupport;

/// <summary>A fresh database on the test PostgreSQL server, dropped when disposed: each fixture (and each bench scenario) gets its own.</summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private PostgresDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }
    public string ConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }

    /// <param name="prefix">Starts the database's name (the bench names its databases after their scenario).</param>
    /// <param name="maxPoolSize">The data source's pool size when Npgsql's default (100) is too small (the bench's load).</param>
    public static async Task<PostgresDatabase> Create(string prefix = "test", int? maxPoolSize = null)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        // Opening the admin connection timed out once in CI (15 s, the shared server busy with other classes' CREATE and
        // DROP DATABASE checkpoints): the fixture tries again rather than failing a test that has not started.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var admin = new NpgsqlConnection(TestSettings.PostgresConnectionString);
                await admin.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
                await create.ExecuteNonQueryAsync();
                break;
            }
            catch (NpgsqlException e) when (e.InnerException is TimeoutException && attempt < 3)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
        }
        var builder = new NpgsqlConnectionStringBuilder(TestSettings.PostgresConnectionString) { Database = name };
        if (maxPoolSize is { } size) builder.MaxPoolSize = size;
        return new PostgresDatabase(name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        // FORCE cannot end an autovacuum worker (a superuser process) for a non-superuser; a plain DROP cancels it itself,
        // but fails while other sessions are connected: alternate between the two until one goes through.
        var force = true;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Admin($"DROP DATABASE IF EXISTS {Name}" + (force ? " WITH (FORCE)" : ""));
                return;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse && attempt < 10)
            {
                force = e.SqlState != PostgresErrorCodes.InsufficientPrivilege;
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }

    private static async Task Admin(string sql)
    {
        await using var admin = new NpgsqlConnection(TestSettings.PostgresConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }
}
