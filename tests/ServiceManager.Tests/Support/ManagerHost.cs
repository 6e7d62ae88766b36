using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace EventSourced.ServiceManager.Tests.Support;

/// <summary>
/// The Service Manager in-process (its real pipeline and hosted poller, on a test server) against a database of the test
/// PostgreSQL server, in its own schema. Its clients: the admin, anyone (no credentials), and a registered platform.
/// </summary>
public sealed class ManagerHost : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    public ManagerHost(PostgresDatabase database, IReadOnlyDictionary<string, string>? overrides = null)
    {
        Database = database;
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["ServiceManager:Username"] = "admin",
            ["ServiceManager:Password"] = Password,
            ["ServiceManager:PollInterval"] = "00:00:00.300",
            ["Secrets:Key"] = SecretKey,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>()) settings[key] = value;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        });
        Admin = Client("admin", Password);
    }

    public PostgresDatabase Database { get; }
    public string Password { get; } = RandomNumberGenerator.GetHexString(20, lowercase: true);
    public string SecretKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    public HttpClient Admin { get; }
    public HttpClient Anonymous() => _factory.CreateClient();

    public HttpClient Client(string username, string password)
    {
        var client = _factory.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(60);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        return client;
    }

    /// <summary>A platform's OSB client: its credentials, X-Broker-API-Version 2.17, based at the proxy of one broker.</summary>
    public HttpClient Osb(Platform platform, string brokerId)
    {
        var client = Client(platform.Username, platform.Password);
        client.BaseAddress = new Uri(client.BaseAddress!, $"/v1/osb/{brokerId}/");
        client.DefaultRequestHeaders.Add("X-Broker-API-Version", "2.17");
        return client;
    }

    /// <summary>How many events the manager has recorded (a refused request must record none).</summary>
    public async Task<long> EventCount()
    {
        await using var command = Database.DataSource.CreateCommand("SELECT count(*) FROM service_manager.mt_events");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>How many events of one type a stream holds.</summary>
    public async Task<long> EventsOf(string streamKey, string type)
    {
        await using var command = Database.DataSource.CreateCommand("SELECT count(*) FROM service_manager.mt_events WHERE stream_id = $1 AND type = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = streamKey });
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Looks for a text in every table of the manager's schema.</summary>
    public async Task<long> CountOccurrences(string text)
    {
        await using var tables = Database.DataSource.CreateCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'service_manager' AND table_type = 'BASE TABLE'");
        var names = new List<string>();
        await using (var reader = await tables.ExecuteReaderAsync())
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        var total = 0L;
        foreach (var name in names)
        {
            await using var count = Database.DataSource.CreateCommand($"SELECT count(*) FROM service_manager.\"{name}\" t WHERE t::text LIKE $1");
            count.Parameters.Add(new NpgsqlParameter { Value = $"%{text}%" });
            total += (long)(await count.ExecuteScalarAsync())!;
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _factory.DisposeAsync();
    }
}

/// <summary>A registered platform and the credentials it was given (once).</summary>
public sealed record Platform(string Id, string Username, string Password);
