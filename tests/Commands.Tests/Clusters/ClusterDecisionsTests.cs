using EventSourced.Commands.Clusters;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.Clusters;

/// <summary>A cluster and its children: attach on provisioning, the delete guard, detach per life, shares.</summary>
public sealed class ClusterDecisionsTests
{
    private static readonly Guid ClusterId = Guid.Parse("0a000000-0000-0000-0000-000000000001");
    private static readonly Guid ClusterOperation = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static IDomainEvent[] ProvisionedCluster(string? parameters = null) =>
    [
        new ServiceInstanceProvisioningRequested(ClusterId, ClusterOperation, "pg", "cluster-small", "org", "space", parameters, null, 1024, Now,
            Shape: InstanceShape.Cluster),
        new StorageProvisioned(ClusterId, ClusterOperation, "/data/c", 1024, Now),
        new ServerProvisioned(ClusterId, ClusterOperation, "127.0.0.1", 56001, Now),
        new ServiceInstanceProvisioned(ClusterId, ClusterOperation, Now),
    ];

    private static ServiceInstance Cluster(params IDomainEvent[] more) => ServiceInstance.Fold([.. ProvisionedCluster(), .. more]);

    private static ProvisionServiceInstance Child(Guid? childId = null, string org = "org", string space = "space", Guid? operationId = null) =>
        new(childId ?? Guid.NewGuid(), operationId ?? Guid.NewGuid(), "pg", "database", org, space, $$"""{"cluster":"{{ClusterId}}"}""", null, 0, Now,
            Shape: InstanceShape.ClusterDatabase, ClusterId: ClusterId);

    private static ChildInstanceAttached Attached(Guid childId, Guid? life = null, string org = "org", string space = "space") =>
        new(ClusterId, childId, life ?? Guid.NewGuid(), org, space, Now);

    [Fact]
    public void ProvisionChild_ReadyClusterSameSpace_RequestsTheDatabaseAndAttachesIt()
    {
        var command = Child();

        var (decision, onCluster) = ClusterDecisions.Decide(ServiceInstance.Initial, Cluster(), command, "user-1");

        var requested = Assert.IsType<ServiceInstanceProvisioningRequested>(Assert.Single(Assert.IsType<Decision.Accepted>(decision).Events));
        Assert.Equal((InstanceShape.ClusterDatabase, ClusterId), (requested.Shape, requested.ClusterId));
        Assert.Equal(new ChildInstanceAttached(ClusterId, command.InstanceId, command.OperationId, "org", "space", Now), onCluster);
    }

    [Fact]
    public void ProvisionChild_ClusterNotReady_IsRefusedSayingWhy()
    {
        var requestedOnly = ServiceInstance.Fold(ProvisionedCluster().Take(1));
        var failed = ServiceInstance.Fold([.. ProvisionedCluster().Take(1), new ServiceInstanceProvisioningFailed(ClusterId, ClusterOperation, "no", Now)]);
        var deleting = Cluster(new ServiceInstanceDeprovisioningRequested(ClusterId, Guid.NewGuid(), Now, Shape: InstanceShape.Cluster));
        var dedicated = ServiceInstance.Fold([new ServiceInstanceProvisioningRequested(ClusterId, ClusterOperation, "pg", "small", "org", "space", null, null, 1024, Now)]);

        Assert.Contains("is not ready yet: it is being provisioned", Refusal(requestedOnly).Description);
        Assert.Contains("is not ready: its provisioning failed", Refusal(failed).Description);
        Assert.Contains("is being deleted", Refusal(deleting).Description);
        Assert.Contains("does not exist", Refusal(dedicated).Description);
        Assert.Contains("does not exist", Refusal(ServiceInstance.Initial).Description);
        Assert.All(new[] { requestedOnly, failed, deleting, dedicated }, state => Assert.Equal(DomainErrorCode.Invalid, Refusal(state).Code));
    }

    [Fact]
    public void ProvisionChild_ClusterBeingUpdated_IsAConcurrencyError()
    {
        var updating = Cluster(new ServiceInstanceUpdateRequested(ClusterId, Guid.NewGuid(), "cluster-large", null, null, 10240, Now));
        Assert.Equal(DomainErrorCode.ConcurrencyError, Refusal(updating).Code);
    }

    [Fact]
    public void ProvisionChild_FromAnotherSpace_IsRefusedUnlessShared()
    {
        Assert.Equal($"requesting user (userGuid=user-7) has not permission to access cluster service-instance guid={ClusterId}",
            Refusal(Cluster(), Child(space: "elsewhere"), "user-7").Description);
        Assert.Equal($"requesting user (userGuid=unknown) has not permission to access cluster service-instance guid={ClusterId}",
            Refusal(Cluster(), Child(org: "other-org"), null).Description);

        var shared = ServiceInstance.Fold(ProvisionedCluster("""{"share":[{"org":"org","space":"elsewhere"},{"org":"other-org"}]}"""));
        Assert.IsType<Decision.Accepted>(ClusterDecisions.Decide(ServiceInstance.Initial, shared, Child(space: "elsewhere"), "u").Child);
        Assert.IsType<Decision.Accepted>(ClusterDecisions.Decide(ServiceInstance.Initial, shared, Child(org: "other-org", space: "any"), "u").Child);
        Assert.Contains("has not permission", Refusal(shared, Child(space: "third"), "u").Description);
    }

    [Fact]
    public void ProvisionChild_RepeatedWhileInProgress_ReturnsTheOperationAndAttachesNothing()
    {
        var command = Child();
        var child = ServiceInstance.Fold([ClusterDecisions.Decide(ServiceInstance.Initial, Cluster(), command, null).Child is Decision.Accepted a ? a.Events[0] : throw new Xunit.Sdk.XunitException("refused")]);

        var (decision, onCluster) = ClusterDecisions.Decide(child, Cluster(Attached(command.InstanceId, command.OperationId)), command with { OperationId = Guid.NewGuid() }, null);

        Assert.Equal(command.OperationId, Assert.IsType<Decision.AlreadyInProgress>(decision).OperationId);
        Assert.Null(onCluster);
    }

    [Fact]
    public void DeprovisionCluster_WithChildren_IsRefusedListingThemInIdOrder()
    {
        var (first, second) = (Guid.Parse("ffffffff-0000-0000-0000-000000000002"), Guid.Parse("11111111-0000-0000-0000-000000000003"));
        var cluster = Cluster(Attached(first), Attached(second));

        var decision = ServiceInstanceDecisions.Decide(cluster, new DeprovisionServiceInstance(ClusterId, Guid.NewGuid(), Now));

        var error = Assert.IsType<Decision.Rejected>(decision).Error;
        Assert.Equal(DomainErrorCode.Invalid, error.Code);
        Assert.Equal($"can not delete cluster service instance with child service instances (guid={second}, guid={first}). "
            + "Use dashboard to list all child service instance details.", error.Description);
    }

    [Fact]
    public void DetachChild_OfItsCurrentLife_FreesTheCluster_OfAnEarlierLife_ChangesNothing()
    {
        var (childId, firstLife, secondLife) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var cluster = Cluster(Attached(childId, firstLife), Attached(childId, secondLife));

        Assert.IsType<Decision.AlreadyDone>(ClusterDecisions.Decide(cluster, new DetachChild(ClusterId, childId, firstLife, Now)));
        var detached = Assert.IsType<Decision.Accepted>(ClusterDecisions.Decide(cluster, new DetachChild(ClusterId, childId, secondLife, Now)));

        var after = ServiceInstance.Fold([.. ProvisionedCluster(), Attached(childId, firstLife), Attached(childId, secondLife), .. detached.Events]);
        Assert.Empty(after.Children);
        Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(after, new DeprovisionServiceInstance(ClusterId, Guid.NewGuid(), Now)));
    }

    [Fact]
    public void UpdateCluster_UnsharingASpaceThatHasChildren_IsRefused_AnotherShareChangeIsNot()
    {
        var childId = Guid.NewGuid();
        var cluster = ServiceInstance.Fold([.. ProvisionedCluster("""{"share":[{"org":"org","space":"elsewhere"},{"org":"o2"}]}"""),
            Attached(childId, space: "elsewhere")]);

        var unshare = ServiceInstanceDecisions.Decide(cluster, Update("""{"share":[{"org":"o2"}]}"""));
        var keep = ServiceInstanceDecisions.Decide(cluster, Update("""{"share":[{"org":"org","space":"elsewhere"}]}"""));

        Assert.Equal($"can not unshare cluster service instance guid={ClusterId} from org org space elsewhere: child service instances "
            + $"(guid={childId}) live there. Delete them first.", Assert.IsType<Decision.Rejected>(unshare).Error.Description);
        Assert.IsType<Decision.Accepted>(keep);
    }

    private static UpdateServiceInstance Update(string parameters) =>
        new(ClusterId, Guid.NewGuid(), null, parameters, null, null, 0, (_, _) => true, Now);

    private static DomainError Refusal(ServiceInstance cluster, ProvisionServiceInstance? command = null, string? user = "u") =>
        Assert.IsType<Decision.Rejected>(ClusterDecisions.Decide(ServiceInstance.Initial, cluster, command ?? Child(), user).Child).Error;
}
