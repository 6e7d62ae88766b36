using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Clusters;

/// <summary>Which cluster a database request names, who may use it, and what the broker refuses, on real servers.</summary>
public sealed class ClusterRequestTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private HttpClient Client => fixture.Broker.Client;
    private string Output() => fixture.Broker.Output;

    [Fact]
    public async Task Database_ByNameInItsSpace_OrByNamesOfAnotherOrgAndSpace_FindsTheCluster()
    {
        var (byName, byPlaceNames) = (Guid.NewGuid(), Guid.NewGuid());
        await (await Client.ProvisionDatabase(byName, new { cluster = ClusterFixture.ClusterName })).AcceptedOperation();
        // The cluster's org and space given by their names (from the cluster's context), the request made in the same space.
        await (await Client.ProvisionDatabase(byPlaceNames, new Dictionary<string, string>
        {
            ["cluster"] = ClusterFixture.ClusterName, ["cluster-org"] = $"{ClusterOsb.Org}-name", ["cluster-space"] = $"{ClusterOsb.Space}-name",
        })).AcceptedOperation();
        await Client.Succeeds(byName, Output);
        await Client.Succeeds(byPlaceNames, Output);

        var instance = await (await Client.GetAsync($"/v2/service_instances/{byName}")).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(ClusterOsb.DatabasePlanId, (string?)instance["plan_id"]);
        await DeleteDatabases(byName, byPlaceNames);
    }

    [Fact]
    public async Task Database_NamingAnUnknownCluster_Is400AndRecordsNothing()
    {
        var response = await fixture.Refused(c => c.ProvisionDatabase(Guid.NewGuid(), new { cluster = "no-such-cluster" }));
        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal($"cluster service instance 'no-such-cluster' does not exist in organization {ClusterOsb.Org} space {ClusterOsb.Space}.",
            (string?)body["description"]);

        // A name is looked up in the requesting space only: the same name elsewhere is another cluster (or none).
        response = await fixture.Refused(c => c.ProvisionDatabase(Guid.NewGuid(), new { cluster = ClusterFixture.ClusterName }, space: "other-space"));
        Assert.Contains("does not exist in organization", (string?)(await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);
    }

    [Fact]
    public async Task Database_NamingAClusterNameTwoClustersShare_Is400ListingBoth()
    {
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        await (await Client.ProvisionCluster(first, "twin", space: "twin-space")).AcceptedOperation();
        await (await Client.ProvisionCluster(second, "twin", space: "twin-space")).AcceptedOperation();
        await Client.Succeeds(first, Output);
        await Client.Succeeds(second, Output);

        var response = await fixture.Refused(c => c.ProvisionDatabase(Guid.NewGuid(), new { cluster = "twin" }, space: "twin-space"));

        var description = (string?)(await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"];
        Assert.Contains("is ambiguous", description);
        Assert.Contains($"guid={first}", description);
        Assert.Contains($"guid={second}", description);
        // By id it is not ambiguous.
        var database = Guid.NewGuid();
        await (await Client.ProvisionDatabase(database, new { cluster = first.ToString() }, space: "twin-space")).AcceptedOperation();
        await Client.Succeeds(database, Output);
        await DeleteDatabases(database);
    }

    [Theory]
    [InlineData("{}", "cluster")]
    [InlineData("""{"cluster": ""}""", "cluster")]
    [InlineData("""{"cluster": 42}""", "cluster")]
    [InlineData("""{"cluster": "shared-cluster", "max_connections": 100}""", "max_connections")]
    [InlineData("""{"cluster": "shared-cluster", "cluster-space": ["a"]}""", "cluster-space")]
    [InlineData("""{"cluster": "shared-cluster", "extensions": ["dblink"]}""", "extensions")]
    [InlineData("""{"cluster": "shared-cluster", "extensions": "citext"}""", "extensions")]
    public async Task Database_WithHostileParameters_Is400NamingTheParameter(string parameters, string named)
    {
        var json = $$"""
            {"service_id": "{{Hosting.Osb.ServiceId}}", "plan_id": "{{ClusterOsb.DatabasePlanId}}", "organization_guid": "{{ClusterOsb.Org}}",
             "space_guid": "{{ClusterOsb.Space}}", "parameters": {{parameters}}}
            """;
        var response = await fixture.Refused(c => c.PutJson(Guid.NewGuid().ToString(), json));
        Assert.Contains(named, (string?)(await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);
    }

    [Fact]
    public async Task Database_NamingADedicatedInstanceOrItself_IsRefused()
    {
        var dedicated = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await Client.Provision(dedicated)).StatusCode);
        Assert.Equal("succeeded", (await Client.PollUntilDone(dedicated, details: Output)).State);

        var response = await fixture.Refused(c => c.ProvisionDatabase(Guid.NewGuid(), new { cluster = dedicated.ToString() }));
        Assert.Equal($"cluster service instance guid={dedicated} does not exist.",
            (string?)(await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);

        var itself = Guid.NewGuid();
        response = await fixture.Refused(c => c.ProvisionDatabase(itself, new { cluster = itself.ToString() }));
        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task Cluster_IsNotBindable_AndADatabaseTakesNoParametersOnUpdate()
    {
        var bind = await fixture.Refused(c => c.PutAsJsonAsync($"/v2/service_instances/{fixture.ClusterId}/service_bindings/{Guid.NewGuid()}",
            new { service_id = Hosting.Osb.ServiceId, plan_id = ClusterOsb.ClusterSmallPlanId, app_guid = "app" }));
        Assert.Contains("not bindable", (string?)(await bind.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);

        var database = Guid.NewGuid();
        await (await Client.ProvisionDatabase(database, new { cluster = fixture.ClusterId.ToString() })).AcceptedOperation();
        await Client.Succeeds(database, Output);
        var moved = await fixture.Refused(c => c.UpdateCluster(database, null, new { cluster = "another" }));
        await moved.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        var replanned = await fixture.Refused(c => c.UpdateCluster(database, ClusterOsb.ClusterSmallPlanId, null));
        Assert.True(replanned.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, await replanned.Content.ReadAsStringAsync());
        await DeleteDatabases(database);
    }

    [Fact]
    public async Task Sharing_OtherSpaceIsRefusedUntilShared_UnsharingIsRefusedWhileItHasDatabases()
    {
        var clusterId = Guid.NewGuid();
        await (await Client.ProvisionCluster(clusterId, "sharing-cluster")).AcceptedOperation();
        await Client.Succeeds(clusterId, Output);
        var reference = new Dictionary<string, string>
            { ["cluster"] = "sharing-cluster", ["cluster-org"] = ClusterOsb.Org, ["cluster-space"] = ClusterOsb.Space };

        var refused = await fixture.Refused(c => c.ProvisionDatabase(Guid.NewGuid(), reference, space: "guest-space", userId: "guest-user"));
        Assert.Equal($"requesting user (userGuid=guest-user) has not permission to access cluster service-instance guid={clusterId}",
            (string?)(await refused.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);

        await (await Client.UpdateCluster(clusterId, null, new { share = new[] { new { org = ClusterOsb.Org, space = "guest-space" } } })).AcceptedOperation();
        await Client.Succeeds(clusterId, Output);
        var guest = Guid.NewGuid();
        await (await Client.ProvisionDatabase(guest, reference, space: "guest-space", userId: "guest-user")).AcceptedOperation();
        await Client.Succeeds(guest, Output);

        var unshare = await fixture.Refused(c => c.UpdateCluster(clusterId, null, new { share = Array.Empty<object>() }));
        Assert.StartsWith($"can not unshare cluster service instance guid={clusterId} from org {ClusterOsb.Org} space guest-space",
            (string?)(await unshare.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);

        await DeleteDatabases(guest);
        await Eventually(async () => (await Client.UpdateCluster(clusterId, null, new { share = Array.Empty<object>() })).StatusCode == HttpStatusCode.Accepted,
            "unsharing once the guest space's database is gone");
        await Client.Succeeds(clusterId, Output);
        refused = await fixture.Refused(c => c.ProvisionDatabase(Guid.NewGuid(), reference, space: "guest-space", userId: "guest-user"));
        Assert.Contains("has not permission", (string?)(await refused.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);
    }

    /// <summary>
    /// 30 databases requested at once with the cluster's deletion among them, the deletion at the start, in the middle or
    /// at the end of the burst: either the deletion is refused (naming exactly the databases attached before it), or it
    /// is accepted and every database is refused. A database is never left in a cluster that is going away.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(30)]
    public async Task ThirtyDatabasesRacingTheClustersDeletion_NeverOrphanOne(int deleteAfter)
    {
        var clusterId = Guid.NewGuid();
        await (await Client.ProvisionCluster(clusterId, $"race-{deleteAfter}")).AcceptedOperation();
        await Client.Succeeds(clusterId, Output);
        // Thirty, not fifty as before: the race is the same, and each CREATE/DROP DATABASE costs a checkpoint.
        var databases = Enumerable.Range(0, 30).Select(_ => Guid.NewGuid()).ToList();

        var requests = new List<(Guid Id, Task<HttpResponseMessage> Response)>();
        Task<HttpResponseMessage>? deletion = null;
        for (var i = 0; i <= databases.Count; i++)
        {
            if (i == deleteAfter)
            {
                deletion = Client.DeleteInstance(clusterId, ClusterOsb.ClusterSmallPlanId);
                // At the start, a moment ahead of the burst, so that the deletion's side of the race is taken too.
                if (i == 0) await Task.Delay(20);
            }
            if (i < databases.Count) requests.Add((databases[i], Client.ProvisionDatabase(databases[i], new { cluster = clusterId.ToString() })));
        }
        await Task.WhenAll(requests.Select(r => r.Response).Append(deletion!));

        var accepted = new List<Guid>();
        foreach (var (id, response) in requests)
        {
            var answer = await response;
            if (answer.StatusCode == HttpStatusCode.Accepted) accepted.Add(id);
            else Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
        }
        var deleted = await deletion!;
        Console.WriteLine($"deletion {(int)deleted.StatusCode} after {deleteAfter}; databases accepted: {accepted.Count}");
        if (deleted.StatusCode == HttpStatusCode.Accepted)
        {
            Assert.Empty(accepted);
            await Client.IsGone(clusterId, Output);
            return;
        }
        var description = (string?)(await deleted.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"];
        Assert.NotEmpty(accepted);
        var named = System.Text.RegularExpressions.Regex.Matches(description!, "guid=([0-9a-f-]{36})").Select(m => Guid.Parse(m.Groups[1].Value)).ToList();
        Assert.Subset(accepted.ToHashSet(), named.ToHashSet());
        var cluster = ServiceInstance.Fold(await fixture.Environment.InstanceEvents(clusterId));
        Assert.Equal(accepted.Order(), cluster.Children.Select(c => c.ChildId).Order());
        foreach (var id in accepted) await Client.Succeeds(id, Output);
        await DeleteDatabases([.. accepted]);
    }

    /// <summary>
    /// Deletes the databases and waits for their detachment too, which follows their deletion asynchronously: a test after
    /// this one must not see it appended in the middle of its own checks.
    /// </summary>
    private async Task DeleteDatabases(params Guid[] databases)
    {
        foreach (var id in databases) await (await Client.DeleteInstance(id, ClusterOsb.DatabasePlanId)).AcceptedOperation();
        foreach (var id in databases) await Client.IsGone(id, Output);
        await Eventually(async () =>
        {
            await using var detached = fixture.Environment.Database.DataSource.CreateCommand(
                "SELECT count(DISTINCT data->>'childId') FROM broker.mt_events WHERE type = 'ChildInstanceDetached' AND data->>'childId' = ANY($1)");
            detached.Parameters.Add(new Npgsql.NpgsqlParameter { Value = databases.Select(id => id.ToString()).ToArray() });
            return (long)(await detached.ExecuteScalarAsync())! == databases.Length;
        }, "the deleted databases are detached from their clusters");
    }

    private static Task Eventually(Func<Task<bool>> condition, string what) => TestSupport.Eventually.True(condition, what, 30);
}
