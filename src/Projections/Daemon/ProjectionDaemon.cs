using EventSourced.Commands.EventStore;
using EventSourced.Projections.Checkpoints;
using EventSourced.Projections.Subscriptions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Projections.Daemon;

/// <summary>Runs one <see cref="SubscriptionRunner"/> per registered subscription on this node.</summary>
public sealed class ProjectionDaemon(
    EventStore store,
    CheckpointStore checkpoints,
    EventLogListener listener,
    IEnumerable<IEventSubscription> subscriptions,
    IEnumerable<IProjection> projections,
    IOptions<SubscriptionOptions> options,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly IReadOnlyList<IEventSubscription> subscriptions = subscriptions.ToList();

    /// <summary>Returns once tables exist and LISTEN is in effect, so an append after start always wakes a runner.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var duplicates = subscriptions.GroupBy(s => s.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0) throw new InvalidOperationException($"Subscription names must be unique: {string.Join(", ", duplicates)}");

        await checkpoints.EnsureSchema(cancellationToken);
        foreach (var projection in projections) await ProjectionSchema.Create(store.DataSource, projection, cancellationToken);
        await listener.Start(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await listener.DisposeAsync();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(subscriptions.Select(subscription => Runner(subscription).Run(stoppingToken)));

    private SubscriptionRunner Runner(IEventSubscription subscription) => new(
        store, checkpoints, subscription, options.Value,
        loggers.CreateLogger($"{typeof(SubscriptionRunner).FullName}.{subscription.Name}"), listener);
}
