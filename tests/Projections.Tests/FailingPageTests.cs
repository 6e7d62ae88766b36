using System.Collections.Concurrent;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Tests.Support;
using EventSourced.TestSupport;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;

namespace EventSourced.Projections.Tests;

/// <summary>
/// An async projection that fails on an event (a transient error: the database restarting, a deadlock) must get that
/// event again once the cause is gone, not lose it. Measured here: Marten stops the shard at the failing page and
/// restarts it from its progress about 5 s later, with its skip-on-error defaults as with ours (the broker turns those
/// off anyway, see EventStoreServiceCollectionExtensions).
/// </summary>
public sealed class FailingPageTests : IAsyncLifetime
{
    private readonly FlakyProjection flaky = new();
    private PostgresDatabase db = null!;
    private BrokerNode node = null!;

    public async Task InitializeAsync()
    {
        db = await PostgresDatabase.Create();
        node = await BrokerNode.Start(db, daemon: true, configure: options => options.Projections.Add(flaky, ProjectionLifecycle.Async, "flaky"));
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await db.DisposeAsync();
    }

    [Fact]
    public async Task Daemon_ProjectionFailsOnAnEventForSeconds_AppliesItOnceItRecoversAndSkipsNothing()
    {
        var (before, failing, after) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        flaky.FailOn = ServiceInstance.StreamId(failing);
        await node.Instances.RequestProvisioning(before);
        await node.Instances.RequestProvisioning(failing);
        await node.Instances.RequestProvisioning(after);

        await Eventually.True(() => Task.FromResult(flaky.Applied.ContainsKey(ServiceInstance.StreamId(after))), "the events after the failing one", seconds: 60);
        await Eventually.True(() => Task.FromResult(flaky.Applied.ContainsKey(ServiceInstance.StreamId(failing))),
            $"the failing event applied once it stops failing (it failed {flaky.Failures} times)", seconds: 60);
        Assert.True(flaky.Failures >= 1, $"failed {flaky.Failures} times");
    }

    private sealed class FlakyProjection : IProjection
    {
        private static readonly TimeSpan Outage = TimeSpan.FromSeconds(5);
        private DateTime? failingSince;

        public string? FailOn { get; set; }
        public int Failures;
        public ConcurrentDictionary<string, int> Applied { get; } = new();

        /// <summary>Every page holding the marked event fails for the first seconds after the first failure (an outage).</summary>
        public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
        {
            if (events.Any(e => e.StreamKey == FailOn) && DateTime.UtcNow - (failingSince ??= DateTime.UtcNow) < Outage)
            {
                Interlocked.Increment(ref Failures);
                throw new InvalidOperationException("transient failure while projecting");
            }
            foreach (var e in events) Applied.AddOrUpdate(e.StreamKey ?? "", 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }
    }
}
