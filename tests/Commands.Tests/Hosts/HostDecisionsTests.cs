using EventSourced.Commands.Clusters;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Hosts;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.Hosts;

/// <summary>
/// An instance lives on one host: chosen with its provisioning (or, when none was, the host that made its storage), and
/// named in every later request of it — updates, deprovisioning, bindings, orphans — and by the databases of a cluster.
/// </summary>
public sealed class HostDecisionsTests
{
    private static readonly Guid InstanceId = Guid.Parse("0b000000-0000-0000-0000-000000000001");
    private static readonly Guid Operation = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static ProvisionServiceInstance Provision(string? host = null, string? noRoom = null, InstanceShape shape = InstanceShape.Dedicated) =>
        new(InstanceId, Operation, "pg", "small", "org", "space", null, null, 1024, Now, Shape: shape, Host: host, NoRoom: noRoom);

    private static ServiceInstance Provisioned(string? requestedHost, string? storageHost, InstanceShape shape = InstanceShape.Dedicated) =>
        ServiceInstance.Fold([
            new ServiceInstanceProvisioningRequested(InstanceId, Operation, "pg", "small", "org", "space", null, null, 1024, Now, Shape: shape,
                Host: requestedHost),
            new StorageProvisioned(InstanceId, Operation, "/data/i", 1024, Now, storageHost),
            new ServerProvisioned(InstanceId, Operation, "127.0.0.1", 56001, Now),
            new ServiceInstanceProvisioned(InstanceId, Operation, Now),
        ]);

    private static T Single<T>(Decision decision) => Assert.IsType<T>(Assert.Single(Assert.IsType<Decision.Accepted>(decision).Events));

    [Fact]
    public void Provision_RecordsTheChosenHost()
    {
        var requested = Single<ServiceInstanceProvisioningRequested>(ServiceInstanceDecisions.Decide(ServiceInstance.Initial, Provision("node-b")));

        Assert.Equal("node-b", requested.Host);
        Assert.Equal("node-b", ServiceInstance.Fold([requested]).Host);
    }

    [Fact]
    public void Provision_NoHostHasRoom_IsRefusedWithTheReason_ButARepeatedRequestOfAnInstanceInProgressIsNot()
    {
        var refused = Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(ServiceInstance.Initial, Provision(noRoom: "Every worker host is full: a 1/1.")));

        Assert.Equal(DomainErrorCode.Unprocessable, refused.Error.Code);
        Assert.Equal("Every worker host is full: a 1/1.", refused.Error.Description);
        var inProgress = ServiceInstance.Fold([Single<ServiceInstanceProvisioningRequested>(ServiceInstanceDecisions.Decide(ServiceInstance.Initial, Provision("a")))]);
        Assert.IsType<Decision.AlreadyInProgress>(ServiceInstanceDecisions.Decide(inProgress, Provision(noRoom: "full")));
    }

    [Theory]
    [InlineData("node-a", "node-a", "node-a")]
    [InlineData(null, "node-b", "node-b")] // no host chosen with the request: the one that made the disk keeps it
    [InlineData("node-a", null, "node-a")] // storage recorded before hosts named themselves
    [InlineData(null, null, null)]
    public void TheInstancesHost_IsTheChosenOne_ElseTheStoragesOne(string? requested, string? storage, string? expected) =>
        Assert.Equal(expected, Provisioned(requested, storage).Host);

    [Fact]
    public void UpdateDeprovisionBindingsAndOrphans_NameTheInstancesHost()
    {
        var state = Provisioned(null, "node-b");

        var update = ServiceInstanceDecisions.Decide(state,
            new UpdateServiceInstance(InstanceId, Guid.NewGuid(), null, """{"max_connections":50}""", null, null, 1024, (_, _) => true, Now));
        var deprovision = ServiceInstanceDecisions.Decide(state, new DeprovisionServiceInstance(InstanceId, Guid.NewGuid(), Now));
        var orphan = ServiceInstanceDecisions.Decide(state, new RecordOrphan(Guid.NewGuid(), ResourceKind.Server, Now));
        var bind = ServiceBindingDecisions.Decide(state, null, null,
            new BindServiceInstance(InstanceId, Guid.NewGuid(), Guid.NewGuid(), null, null, null, null, Now));

        Assert.Equal("node-b", Single<ServiceInstanceUpdateRequested>(update).Host);
        Assert.Equal("node-b", Single<ServiceInstanceDeprovisioningRequested>(deprovision).Host);
        Assert.Equal("node-b", Single<OrphanedResourceFound>(orphan).Host);
        Assert.Equal("node-b", Single<ServiceBindingRequested>(bind).Host);
    }

    [Fact]
    public void ADatabaseInACluster_LivesOnTheClustersHost_WhateverTheRequestChose()
    {
        var clusterId = Guid.NewGuid();
        var cluster = ServiceInstance.Fold([
            new ServiceInstanceProvisioningRequested(clusterId, Operation, "pg", "cluster-small", "org", "space", null, null, 1024, Now,
                Shape: InstanceShape.Cluster, Host: "node-c"),
            new StorageProvisioned(clusterId, Operation, "/data/c", 1024, Now, "node-c"),
            new ServerProvisioned(clusterId, Operation, "127.0.0.1", 56001, Now),
            new ServiceInstanceProvisioned(clusterId, Operation, Now),
        ]);
        var child = new ProvisionServiceInstance(Guid.NewGuid(), Guid.NewGuid(), "pg", "database", "org", "space",
            $$"""{"cluster":"{{clusterId}}"}""", null, 0, Now, Shape: InstanceShape.ClusterDatabase, ClusterId: clusterId, Host: "node-a");

        var (decision, _) = ClusterDecisions.Decide(ServiceInstance.Initial, cluster, child, null);

        Assert.Equal("node-c", Single<ServiceInstanceProvisioningRequested>(decision).Host);
    }
}

/// <summary>A host is live until it misses three beats of its own interval (the default 10 s when it recorded none).</summary>
public sealed class HostLivenessTests
{
    private static readonly DateTimeOffset Seen = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(null, 29.9, true)]
    [InlineData(null, 30.1, false)]
    [InlineData(1.0, 2.9, true)]
    [InlineData(1.0, 3.1, false)]
    [InlineData(60.0, 179.0, true)]
    public void Live_UntilThreeBeatsOfItsOwnIntervalAreMissed(double? intervalSeconds, double secondsSinceLastBeat, bool live)
    {
        var host = new RegisteredHost("h", null, null, Seen, Seen, intervalSeconds is { } s ? TimeSpan.FromSeconds(s) : null);

        Assert.Equal(live, host.IsLive(Seen.AddSeconds(secondsSinceLastBeat)));
    }
}
