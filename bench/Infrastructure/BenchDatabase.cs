using Npgsql;

namespace EventSourced.Bench.Infrastructure;

/// <summary>A fresh database on the local PostgreSQL for one scenario, dropped when disposed.</summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private BenchDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }
    public string ConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }

    public static async Task<BenchDatabase> Create(string purpose)
    {
        var name = $"bench_{purpose}_{Guid.NewGuid().ToString("N")[..8]}";
        await Admin($"CREATE DATABASE {name}");
        var builder = new NpgsqlConnectionStringBuilder(Settings.Postgres) { Database = name, MaxPoolSize = 200 };
        return new BenchDatabase(name, builder.ConnectionString);
    }

    public async Task<T> Scalar<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task Execute(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        // FORCE cannot end an autovacuum worker (a superuser process) for a non-superuser; a plain DROP cancels it itself.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Admin($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
                return;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse && attempt < 10)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                if (e.SqlState == PostgresErrorCodes.InsufficientPrivilege) await TryAdmin($"DROP DATABASE IF EXISTS {Name}");
            }
        }
    }

    private static async Task TryAdmin(string sql)
    {
        try
        {
            await Admin(sql);
        }
        catch (PostgresException)
        {
        }
    }

    private static async Task Admin(string sql)
    {
        await using var admin = new NpgsqlConnection(Settings.Postgres);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }
}
