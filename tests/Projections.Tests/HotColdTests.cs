using System.Diagnostics;
using EventSourced.Projections.ServiceInstances;
using EventSourced.Projections.Tests.Support;
using EventSourced.TestSupport;
using JasperFx;
using Marten.Events.Daemon.Coordination;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EventSourced.Projections.Tests;

/// <summary>Two broker nodes with the daemon in HotCold mode: one runs the async projections, the other takes over when it stops.</summary>
public sealed class HotColdTests(ITestOutputHelper output)
{
    private const string DirectoryShard = $"{InstanceDirectory.ProjectionName}:All";

    [Fact]
    public async Task HotCold_NodeRunningTheDirectoryStops_TheOtherProjectsNewEventsWithinSeconds()
    {
        await using var db = await PostgresDatabase.Create();
        await using var first = await BrokerNode.Start(db, daemon: true);
        await using var second = await BrokerNode.Start(db, daemon: true);
        await first.Instances.Provision(Guid.NewGuid());
        await second.Instances.Provision(Guid.NewGuid());
        await first.CaughtUp();
        var running = new[] { first, second }.Where(RunsTheDirectory).ToList();
        var leader = Assert.Single(running);
        var survivor = leader == first ? second : first;

        await leader.Stop();
        var clock = Stopwatch.StartNew();
        var instance = Guid.NewGuid();
        await survivor.Instances.Provision(instance);

        await Eventually.True(async () => await survivor.Directory.Find(instance) is not null, "the surviving node projects the new instance", seconds: 30);
        output.WriteLine($"projected by the surviving node {clock.ElapsedMilliseconds} ms after the leader stopped");
        Assert.True(RunsTheDirectory(survivor));
    }

    private static bool RunsTheDirectory(BrokerNode node) =>
        node.Services.GetService<IProjectionCoordinator>()?.DaemonForMainDatabase().StatusFor(DirectoryShard) == AgentStatus.Running;
}
