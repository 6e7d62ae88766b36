using Xunit;
using System.Security.Cryptography;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using JasperFx.Events;
using Marten;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.TestSupport.Brokers;

/// <summary>
/// Everything one broker deployment owns, isolated from every other test: its own database, RabbitMQ virtual host,
/// directory and port range for dedicated servers, credentials and secret key. Brokers started on it share them, as
/// the nodes of one deployment (or one node restarted) would.
/// </summary>
public sealed class BrokerEnvironment : IAsyncDisposable
{
    private static int _nextPortBlock = Random.Shared.Next(0, 30);

    private readonly IReadOnlyDictionary<string, string> _overrides;

    private BrokerEnvironment(
        PostgresDatabase database, RabbitMqVirtualHost virtualHost, string dataRoot, int portRangeStart, IReadOnlyDictionary<string, string> overrides)
    {
        Database = database;
        VirtualHost = virtualHost;
        DataRoot = dataRoot;
        PortRangeStart = portRangeStart;
        _overrides = overrides;
    }

    public PostgresDatabase Database { get; }
    public RabbitMqVirtualHost VirtualHost { get; }
    public string DataRoot { get; }
    public int PortRangeStart { get; }
    public string Username { get; } = "platform";
    public string Password { get; } = RandomNumberGenerator.GetHexString(20, lowercase: true);
    public string OpsUsername { get; } = "operator";
    public string OpsPassword { get; } = RandomNumberGenerator.GetHexString(20, lowercase: true);
    public string SecretKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <param name="overrides">Broker settings, by environment variable name, that replace or add to the defaults of <see cref="Settings"/>.</param>
    public static async Task<BrokerEnvironment> Create(IReadOnlyDictionary<string, string>? overrides = null)
    {
        var dataRoot = Path.Combine(TestSettings.LocalBackendDataRoot, $"b{RandomNumberGenerator.GetHexString(6, lowercase: true)}");
        Directory.CreateDirectory(dataRoot);
        if (Environment.UserName == "root") await Run("chown", "postgres:", dataRoot);
        // Blocks of 40 ports from 20000 up: brokers of concurrently running test classes never compete for a port, and
        // the kernel never gives one to a client socket (its ephemeral ports start at 32768; the broker refuses those).
        var block = Interlocked.Increment(ref _nextPortBlock) % 60;
        return new BrokerEnvironment(await PostgresDatabase.Create(), await RabbitMqVirtualHost.Create(), dataRoot, 20000 + block * 40,
            overrides ?? new Dictionary<string, string>());
    }

    public IReadOnlyDictionary<string, string> Settings(int httpPort)
    {
        var settings = Defaults(httpPort);
        foreach (var (key, value) in _overrides) settings[key] = value;
        return settings;
    }

    private Dictionary<string, string> Defaults(int httpPort) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        // Tests create their schema as development does; SchemaCheckTests runs a broker with None, as production does.
        ["EventStore__AutoCreate"] = "CreateOrUpdate",
        ["Urls"] = $"http://127.0.0.1:{httpPort}",
        ["Broker__PublicUrl"] = $"http://127.0.0.1:{httpPort}",
        ["ConnectionStrings__Postgres"] = Database.ConnectionString,
        ["RabbitMq__Host"] = TestSettings.RabbitHost,
        ["RabbitMq__Port"] = TestSettings.RabbitPort.ToString(),
        ["RabbitMq__VirtualHost"] = VirtualHost.Name,
        ["RabbitMq__Username"] = TestSettings.RabbitUsername,
        ["RabbitMq__Password"] = TestSettings.RabbitPassword,
        ["Broker__Username"] = Username,
        ["Broker__Password"] = Password,
        ["Ops__Username"] = OpsUsername,
        ["Ops__Password"] = OpsPassword,
        ["Secrets__Key"] = SecretKey,
        ["Provisioners__Local__DataRoot"] = DataRoot,
        ["Provisioners__Local__PortRangeStart"] = PortRangeStart.ToString(),
        ["Provisioners__Local__PortRangeEnd"] = (PortRangeStart + 39).ToString(),
        ["Provisioners__WatchdogInterval"] = "00:00:01",
        ["Logging__LogLevel__Default"] = "Information",
    };

    private DocumentStore? _store;

    /// <summary>The deployment's event store, read as the broker reads it.</summary>
    public DocumentStore Store => _store ??= DocumentStore.For(options =>
    {
        options.Connection(Database.ConnectionString);
        EventStoreServiceCollectionExtensions.Configure(options, new EventStoreOptions());
    });

    /// <summary>Runs a request that must be refused, and proves the refusal appended nothing to the log.</summary>
    public async Task<HttpResponseMessage> Refused(HttpClient client, Func<HttpClient, Task<HttpResponseMessage>> request)
    {
        var before = await EventCount();
        var response = await request(client);
        Assert.True(before == await EventCount(), $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}: events were appended");
        return response;
    }

    public async Task<long> EventCount()
    {
        await using var command = Database.DataSource.CreateCommand("SELECT count(*) FROM broker.mt_events WHERE type <> 'tombstone'");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Looks for a secret in every table the broker writes: events, read models, saga state, inbox.</summary>
    public async Task<long> CountOccurrences(string secret)
    {
        await using var tables = Database.DataSource.CreateCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'broker' AND table_type = 'BASE TABLE'");
        var names = new List<string>();
        await using (var reader = await tables.ExecuteReaderAsync())
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        var total = 0L;
        foreach (var name in names)
        {
            await using var count = Database.DataSource.CreateCommand($"SELECT count(*) FROM broker.\"{name}\" t WHERE t::text LIKE $1");
            count.Parameters.Add(new NpgsqlParameter { Value = $"%{secret}%" });
            total += (long)(await count.ExecuteScalarAsync())!;
        }
        return total;
    }

    /// <summary>A stream's recorded events, metadata included.</summary>
    public async Task<IReadOnlyList<IEvent>> Stream(string streamKey)
    {
        await using var session = Store.QuerySession();
        return await session.Events.FetchStreamAsync(streamKey);
    }

    public async Task<IReadOnlyList<IDomainEvent>> InstanceEvents(Guid instanceId) =>
        (await Stream(ServiceInstance.StreamId(instanceId))).Select(e => (IDomainEvent)e.Data).ToList();

    /// <summary>
    /// Stops every dedicated server the deployment left (each even when another fails: a detached postmaster would
    /// outlive the tests), then drops the database and virtual host whatever happened before; failures surface at the end.
    /// </summary>
    /// <summary>A connection string of the instance's database owner (its password decrypted from the log), as an app would get it.</summary>
    public async Task<string> AdminConnectionString(Guid instanceId)
    {
        var state = ServiceInstance.Fold(await InstanceEvents(instanceId));
        var password = new EventSourced.Commands.Secrets.SecretProtector(SecretKey).Unprotect(state.Database!.EncryptedAdminPassword);
        return $"Host={state.Server!.Host};Port={state.Server.Port};Database={state.Database.Database};" +
               $"Username={state.Database.AdminUsername};Password={password};Pooling=false";
    }

    public async ValueTask DisposeAsync()
    {
        var failures = new List<Exception>();
        try
        {
            var servers = new LocalServerBackend(Options.Create(new LocalBackendOptions { DataRoot = DataRoot }), NullLogger<LocalServerBackend>.Instance);
            var redis = new EventSourced.Provisioners.Backends.Local.Redis.RedisServerBackend(Options.Create(new LocalBackendOptions { DataRoot = DataRoot }),
                new EventSourced.Commands.Secrets.SecretProtector(SecretKey), NullLogger<EventSourced.Provisioners.Backends.Local.Redis.RedisServerBackend>.Instance);
            foreach (var directory in Directory.EnumerateDirectories(DataRoot))
            {
                if (!Guid.TryParse(Path.GetFileName(directory), out var instanceId)) continue;
                try
                {
                    await redis.Deprovision(instanceId, CancellationToken.None);
                    await servers.Deprovision(instanceId, CancellationToken.None);
                }
                catch (Exception e)
                {
                    failures.Add(e);
                }
            }
            if (failures.Count == 0) Directory.Delete(DataRoot, recursive: true);
        }
        finally
        {
            try
            {
                if (_store is not null) await _store.DisposeAsync();
                await VirtualHost.DisposeAsync();
            }
            finally
            {
                NpgsqlConnection.ClearAllPools();
                await Database.DisposeAsync();
            }
        }
        if (failures.Count > 0) throw new AggregateException($"dedicated servers under {DataRoot} were not all stopped", failures);
    }

    private static async Task Run(string file, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(file, arguments);
        await process.WaitForExitAsync();
    }
}
