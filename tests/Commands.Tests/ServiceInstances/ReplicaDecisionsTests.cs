using System.Text.Json;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using Microsoft.Extensions.Options;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>
/// Replicas on an instance's stream: added and removed only by the operation in progress, each once; resurrected only
/// on an idle instance at its recorded port; gone with the server. The <c>instances</c> parameter: 1 to the plan's
/// <c>max_instances</c> (1 without one), an integer, or refused naming the limit.
/// </summary>
public sealed class ReplicaDecisionsTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly Guid Provisioning = Guid.NewGuid();
    private static readonly Guid Scaling = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 14, 0, 0, TimeSpan.Zero);

    private static readonly IDomainEvent[] Provisioned =
    [
        new ServiceInstanceProvisioningRequested(InstanceId, Provisioning, "pg", "small", "org", "space", null, null, 1024, Now, Host: "host-a"),
        new StorageProvisioned(InstanceId, Provisioning, "/data/x", 1024, Now),
        new ServerProvisioned(InstanceId, Provisioning, "127.0.0.1", 56001, Now),
        new ServiceInstanceProvisioned(InstanceId, Provisioning, Now),
    ];

    private static readonly IDomainEvent ScaleRequested =
        new ServiceInstanceUpdateRequested(InstanceId, Scaling, "small", """{"instances":3}""", null, 1024, Now);

    private static ServiceInstance Given(params IDomainEvent[] events) => ServiceInstance.Fold(Provisioned.Concat(events));

    private static IReadOnlyList<IDomainEvent> Accepted(Decision decision) => Assert.IsType<Decision.Accepted>(decision).Events;

    [Fact]
    public void AReplica_IsAddedByTheOperationInProgress_Once_AndRemovedOnce()
    {
        var added = Accepted(ReplicaDecisions.Decide(Given(ScaleRequested), new RecordReplicaAdded(Scaling, 0, "127.0.0.1", 56002, "replicas/0#a", Now)));
        var state = Given([ScaleRequested, .. added]);

        Assert.Equal([new ReplicaInfo(0, "127.0.0.1", 56002, "replicas/0#a")], state.Replicas);
        Assert.IsType<Decision.AlreadyDone>(ReplicaDecisions.Decide(state, new RecordReplicaAdded(Scaling, 0, "127.0.0.1", 56002, "replicas/0#a", Now)));
        Assert.IsType<Decision.Rejected>(ReplicaDecisions.Decide(state, new RecordReplicaAdded(Scaling, 0, "127.0.0.1", 56003, "replicas/0#b", Now)));
        var removed = Accepted(ReplicaDecisions.Decide(state, new RecordReplicaRemoved(Scaling, 0, Now)));
        Assert.Empty(Given([ScaleRequested, .. added, .. removed]).Replicas);
        Assert.IsType<Decision.AlreadyDone>(ReplicaDecisions.Decide(Given([ScaleRequested, .. added, .. removed]), new RecordReplicaRemoved(Scaling, 0, Now)));
    }

    [Fact]
    public void AReplicaOnAnotherHost_IsRecordedWithItsHost_Once()
    {
        var added = Accepted(ReplicaDecisions.Decide(Given(ScaleRequested),
            new RecordReplicaAdded(Scaling, 0, "127.0.0.1", 56022, "replicas/0#a", Now, WorkerHost: "host-b")));
        var state = Given([ScaleRequested, .. added]);

        Assert.Equal([new ReplicaInfo(0, "127.0.0.1", 56022, "replicas/0#a", "host-b")], state.Replicas);
        Assert.IsType<Decision.AlreadyDone>(ReplicaDecisions.Decide(state, new RecordReplicaAdded(Scaling, 0, "127.0.0.1", 56022, "replicas/0#a", Now, "host-b")));
        Assert.IsType<Decision.Rejected>(ReplicaDecisions.Decide(state, new RecordReplicaAdded(Scaling, 0, "127.0.0.1", 56022, "replicas/0#a", Now, "host-a")));
    }

    [Fact]
    public void NoReplica_IsRecordedOutsideItsOperation()
    {
        Assert.IsType<Decision.Rejected>(ReplicaDecisions.Decide(Given(), new RecordReplicaAdded(Scaling, 0, "127.0.0.1", 56002, "replicas/0#a", Now)));
        Assert.IsType<Decision.Rejected>(ReplicaDecisions.Decide(Given(ScaleRequested), new RecordReplicaAdded(Guid.NewGuid(), 0, "127.0.0.1", 56002, "replicas/0#a", Now)));
    }

    [Fact]
    public void AReplica_IsResurrectedOnlyOnAnIdleInstance_AtItsRecordedPort_AndGoesWithTheServer()
    {
        var added = new ReplicaAdded(InstanceId, Scaling, 1, "127.0.0.1", 56004, "replicas/1#a", Now);
        var idle = Given(ScaleRequested, added, new ServiceInstanceUpdated(InstanceId, Scaling, Now));

        Assert.IsType<Decision.Accepted>(ReplicaDecisions.Decide(idle, new RecordReplicaResurrection(Guid.NewGuid(), 1, 56004, "dead", Now)));
        Assert.IsType<Decision.Rejected>(ReplicaDecisions.Decide(idle, new RecordReplicaResurrection(Guid.NewGuid(), 1, 56005, "dead", Now)));
        Assert.IsType<Decision.Rejected>(ReplicaDecisions.Decide(Given(ScaleRequested, added), new RecordReplicaResurrection(Guid.NewGuid(), 1, 56004, "dead", Now)));
        var deprovisioning = Guid.NewGuid();
        Assert.Empty(Given(ScaleRequested, added, new ServiceInstanceUpdated(InstanceId, Scaling, Now),
            new ServiceInstanceDeprovisioningRequested(InstanceId, deprovisioning, Now), new ServerDeprovisioned(InstanceId, deprovisioning, Now)).Replicas);
    }

    [Theory]
    [InlineData("""{"instances":1}""", null)]
    [InlineData("""{"instances":3}""", null)]
    [InlineData("""{"max_connections":50}""", null)]
    [InlineData("""{"instances":0}""", "not 0")]
    [InlineData("""{"instances":-1}""", "not -1")]
    [InlineData("""{"instances":4}""", "not 4")]
    [InlineData("""{"instances":"3"}""", "not \"3\"")]
    [InlineData("""{"instances":2.5}""", "not 2.5")]
    [InlineData("""{"instances":null}""", "not null")]
    [InlineData("""{"instances":99999999999}""", "not 99999999999")]
    public void TheInstanceCount_IsAnIntegerFromOneToThePlansLimit(string parameters, string? refusal)
    {
        var plan = new ServicePlan { Name = "small", Metadata = { [InstanceCount.LimitMetadata] = "3" } };

        var refused = InstanceCount.Refusal(plan, JsonDocument.Parse(parameters).RootElement);

        if (refusal is null) Assert.Null(refused);
        else Assert.Equal($"parameters.instances must be an integer from 1 to 3 (plan small's max_instances), {refusal}.", refused);
    }

    /// <summary>
    /// A plan change to a plan allowing fewer instances than the instance runs is a 422 (Unprocessable) naming both, unless
    /// the same PATCH scales down to fit; a count over the target plan's limit is the parameter's 400.
    /// </summary>
    [Theory]
    [InlineData(null, "Unprocessable")]
    [InlineData("""{"max_connections":50}""", "Unprocessable")]
    [InlineData("""{"instances":1}""", null)]
    [InlineData("""{"instances":2}""", "Invalid")]
    public void APlanChange_BelowTheInstanceCount_IsRefusedUnlessThePatchScalesDown(string? parameters, string? refusal)
    {
        var service = new ServiceOffering
        {
            Id = "pg", Name = "postgresql", Description = "PostgreSQL", PlanUpdateable = true,
            Plans =
            [
                new ServicePlan { Id = "small", Name = "small", Description = "3 servers", DiskMb = 1024, Metadata = { [InstanceCount.LimitMetadata] = "3" } },
                new ServicePlan { Id = "single", Name = "single", Description = "1 server", DiskMb = 1024 },
            ],
        };
        var validator = new InstanceUpdateValidator(new ServiceCatalog(Options.Create(new CatalogOptions { Services = [service] })));
        var threeServers = Given(ScaleRequested, new ServiceInstanceUpdated(InstanceId, Scaling, Now));
        var body = parameters is null ? (JsonElement?)null : JsonDocument.Parse(parameters).RootElement;

        var result = validator.Validate(new InstanceUpdate(threeServers, "pg", "single", body, null));

        if (refusal is null) Assert.True(result.IsValid, string.Join(" ", result.Errors));
        else Assert.Equal(refusal, Assert.Single(result.Errors).ErrorCode == "Unprocessable" ? "Unprocessable" : "Invalid");
        if (refusal == "Unprocessable")
            Assert.Contains("Plan single allows at most 1 instance(s) (its max_instances), and service instance", result.Errors[0].ErrorMessage);
        Assert.True(validator.Validate(new InstanceUpdate(threeServers, "pg", null, body, null)).IsValid, "the same PATCH on the current plan");
    }

    [Fact]
    public void APlanWithoutALimit_AllowsOneInstance()
    {
        var plan = new ServicePlan { Name = "plain" };

        Assert.Null(InstanceCount.Refusal(plan, JsonDocument.Parse("""{"instances":1}""").RootElement));
        Assert.Contains("from 1 to 1", InstanceCount.Refusal(plan, JsonDocument.Parse("""{"instances":2}""").RootElement));
    }

    [Fact]
    public void LastOperation_SaysWhichInstanceOfHowManyTheDeployIsAt()
    {
        var progress = new DeploymentProgress(Scaling, "{}", [new DeploymentStep("replicas/0", "start", "replicas/0#a", 1)],
            ["replicas/0 create (new in local)", "replicas/1 create (new in local)"]);

        Assert.Equal("Updating 1 of 2 instances: replicas/0 post-start done", progress.Describe("replicas/0", "post-start"));
        Assert.Equal("Updating 2 of 2 instances: replicas/1 create VM done", progress.Describe("replicas/1", "create VM"));
    }
}
