using System.Data.Common;
using System.Diagnostics;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Commands.Hosts;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Weasel.Core;

namespace EventSourced.Commands.EventStore;

public static class EventStoreServiceCollectionExtensions
{
    /// <summary>
    /// Marten as the event store (and document store for inbox and saga state) on the <c>Postgres</c> connection string.
    /// Read models, subscriptions and sagas add themselves with <c>services.ConfigureMarten(...)</c>; the host adds the
    /// async daemon on the returned expression once everything it must start after (the bus) is registered.
    /// </summary>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddEventStore(
        this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not configured (env ConnectionStrings__Postgres).");
        // Statements are traced (Npgsql's ActivitySource, when telemetry listens) only inside a trace of their own: a
        // request's or a step's. The daemon's polling would otherwise start a trace of one span every few hundred ms.
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(Tuned(connectionString))
            .ConfigureTracing(tracing => tracing.ConfigureCommandFilter(_ => Activity.Current is not null)
                .ConfigureBatchFilter(_ => Activity.Current is not null))
            .Build());
        services.AddOptions<EventStoreOptions>().Bind(configuration.GetSection(EventStoreOptions.Section)).PostConfigure<IServiceProvider>(
            (settings, sp) => settings.AutoCreate ??= sp.GetService<IHostEnvironment>() is { } environment && environment.IsProduction()
                ? AutoCreate.None
                : AutoCreate.CreateOrUpdate);
        services.AddSingleton(sp => new StreamStore(sp.GetRequiredService<IDocumentStore>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<EventStoreOptions>>().Value.GroupCommit));
        services.AddSingleton<Legacy.LegacyEventStore>();
        return services.AddMarten(sp =>
            {
                var options = new StoreOptions();
                options.Connection(sp.GetRequiredService<NpgsqlDataSource>());
                Configure(options, sp.GetRequiredService<IOptions<EventStoreOptions>>().Value);
                return options;
            })
            .UseLightweightSessions();
    }

    /// <summary>Everything the event store's own tables need; shared by the host, the operator commands and the tests.</summary>
    public static void Configure(StoreOptions options, EventStoreOptions settings)
    {
        options.DatabaseSchemaName = settings.Schema;
        options.AutoCreateSchemaObjects = settings.AutoCreate ?? AutoCreate.CreateOrUpdate;
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
        options.DisableNpgsqlLogging = true;

        var events = options.Events;
        events.StreamIdentity = StreamIdentity.AsString;
        events.AppendMode = settings.AppendMode;
        events.MetadataConfig.CorrelationIdEnabled = true;
        events.MetadataConfig.CausationIdEnabled = true;
        events.MetadataConfig.HeadersEnabled = true;
        // Stored under their class names (Marten's default would be snake_case), as the previous store named them.
        foreach (var type in typeof(ServiceInstance).Assembly.GetTypes()
                     .Where(type => type is { IsClass: true, IsAbstract: false } && typeof(IDomainEvent).IsAssignableFrom(type)))
            events.MapEventType(type, type.Name);

        // A transaction that drew a sequence number and commits late is waited for, never skipped (README, "The daemon
        // never skips a late commit").
        options.Projections.UseTransactionEvidenceForGapSkipping = true;
        options.Projections.SkipStaleGapsDespiteLiveTransactionsAfter = null;
        options.Projections.StaleSequenceThreshold = settings.StaleSequenceThreshold;
        // Async projections and subscriptions run on the nodes that add the daemon (AddAsyncDaemon sets the mode there);
        // API nodes and the operator's commands leave them to those nodes.
        options.Projections.AsyncMode = DaemonMode.ExternallyManaged;
        // Marten's daemon skips an event it cannot apply, deserialize or recognise by default (into its dead letters) and
        // moves on: a read model would stay wrong and a step would never be forwarded. Here a failing page stops its
        // shard, which the daemon restarts from its last progress, until the cause is gone.
        options.Projections.Errors.SkipApplyErrors = false;
        options.Projections.Errors.SkipSerializationErrors = false;
        options.Projections.Errors.SkipUnknownEvents = false;

        options.Schema.For<InboxEntry>().DocumentAlias("inbox");
        options.Schema.For<RegisteredHost>().DocumentAlias("host");
    }

    // Tuned for a broker whose every request and flow step runs the same few statements: prepared once per connection,
    // the server skips their parse and plan; and no reset when a connection goes back to the pool (a reset costs the
    // server six statements per use). Our locks and settings are transaction-scoped; Marten's session-level advisory
    // locks (the daemon's HotCold lead, schema migrations) are unlocked before their connection is released, as the
    // fail-over tests show (a node that stops hands the lead over). Settings given in the connection string win.
    private static string Tuned(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(key => key.Replace(" ", "")).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var tuned = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains(nameof(tuned.MaxAutoPrepare))) tuned.MaxAutoPrepare = 64;
        if (!given.Contains(nameof(tuned.NoResetOnClose))) tuned.NoResetOnClose = true;
        return tuned.ConnectionString;
    }
}
