using EventSourced.Projections.Backups;
using EventSourced.Projections.Clusters;
using EventSourced.Projections.Deployments;
using EventSourced.Projections.ServiceBindings;
using EventSourced.Projections.ServiceInstances;
using EventSourced.Projections.Status;
using EventSourced.Projections.Tests.Support;
using EventSourced.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Projections.Tests;

public sealed class ProjectionStatusTests
{
    [Fact]
    public async Task Read_BeforeAndAfterTheDaemonRuns_InlineNeverBehindAndTheDirectoryByItsLag()
    {
        await using var db = await PostgresDatabase.Create();
        await using var writer = await BrokerNode.Start(db, daemon: false);
        var instance = Guid.NewGuid();
        await writer.Instances.Provision(instance);
        await writer.Instances.RequestProvisioning(Guid.NewGuid());
        await writer.Bindings.RequestBinding(instance, Guid.NewGuid());
        var status = writer.Services.GetRequiredService<ProjectionStatus>();

        var before = await status.Read();
        await using var daemon = await BrokerNode.Start(db, daemon: true);
        await daemon.CaughtUp();
        var after = await status.Read();

        Assert.Equal([
            new ProjectionLag(BackupSchedules.ProjectionName, "inline", 7, 0),
            new ProjectionLag(BindingOperations.ProjectionName, "inline", 7, 0),
            new ProjectionLag(ClusterMembers.ProjectionName, "inline", 7, 0),
            new ProjectionLag(InstanceDirectory.ProjectionName, "async", 0, 7),
            new ProjectionLag(LastOperations.ProjectionName, "inline", 7, 0),
            new ProjectionLag(OrphanedVmDirectory.ProjectionName, "inline", 7, 0),
        ], before);
        Assert.Equal([
            new ProjectionLag(BackupSchedules.ProjectionName, "inline", 7, 0),
            new ProjectionLag(BindingOperations.ProjectionName, "inline", 7, 0),
            new ProjectionLag(ClusterMembers.ProjectionName, "inline", 7, 0),
            new ProjectionLag(InstanceDirectory.ProjectionName, "async", 7, 0),
            new ProjectionLag(LastOperations.ProjectionName, "inline", 7, 0),
            new ProjectionLag(OrphanedVmDirectory.ProjectionName, "inline", 7, 0),
        ], after);
    }
}
