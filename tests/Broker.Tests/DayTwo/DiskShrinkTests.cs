using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Clusters;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.DayTwo;

/// <summary>
/// Day-2 category 1, VM and disk size, downwards: a catalog with a third dedicated plan whose disk (16 MB) is smaller than
/// an instance's database can be made to take. Moving to it is refused with 422 naming the usage, with nothing recorded
/// and the instance untouched; once the data fits, the same PATCH goes through (a recreate) with the remaining rows kept.
/// A cluster's plan change is measured the same way over the sum of its databases, each measured with its own role.
/// </summary>
public sealed class DiskShrinkTests : IAsyncLifetime
{
    private const string TinyPlanId = "0d3e9b4c-1f2a-4b5c-8d6e-7f8091a2b3c4";
    private const string TinyClusterPlanId = "0d3e9b4c-1f2a-4b5c-8d6e-7f8091a2b3c5";
    private BrokerEnvironment _environment = null!;
    private BrokerProcess _broker = null!;

    public async Task InitializeAsync()
    {
        _environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Catalog__Services__0__Plans__5__Id"] = TinyPlanId,
            ["Catalog__Services__0__Plans__5__Name"] = "dedicated-tiny",
            ["Catalog__Services__0__Plans__5__Description"] = "A dedicated PostgreSQL 15 server with a 16 MB disk",
            ["Catalog__Services__0__Plans__5__Free"] = "true",
            ["Catalog__Services__0__Plans__5__MaintenanceInfo__Version"] = "1.0.0",
            ["Catalog__Services__0__Plans__5__MaintenanceInfo__Description"] = "PostgreSQL 15 on a dedicated server",
            ["Catalog__Services__0__Plans__5__DiskMb"] = "16",
            ["Catalog__Services__0__Plans__5__AllowedPlanTransitions__0"] = LargePlanId,
            ["Catalog__Services__0__Plans__1__AllowedPlanTransitions__1"] = TinyPlanId,
            ["Catalog__Services__0__Plans__6__Id"] = TinyClusterPlanId,
            ["Catalog__Services__0__Plans__6__Name"] = "cluster-tiny",
            ["Catalog__Services__0__Plans__6__Description"] = "A dedicated PostgreSQL 15 cluster with a 36 MB disk",
            ["Catalog__Services__0__Plans__6__Free"] = "true",
            ["Catalog__Services__0__Plans__6__Bindable"] = "false",
            ["Catalog__Services__0__Plans__6__Shape"] = "Cluster",
            ["Catalog__Services__0__Plans__6__MaintenanceInfo__Version"] = "1.0.0",
            ["Catalog__Services__0__Plans__6__MaintenanceInfo__Description"] = "PostgreSQL 15 on a dedicated server",
            ["Catalog__Services__0__Plans__6__DiskMb"] = "36",
            ["Catalog__Services__0__Plans__6__AllowedPlanTransitions__0"] = ClusterOsb.ClusterLargePlanId,
            ["Catalog__Services__0__Plans__3__AllowedPlanTransitions__1"] = TinyClusterPlanId,
        });
        _broker = await BrokerProcess.Start(_environment);
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task ShrinkingBelowTheUsage_IsRefusedWith422NamingIt_AndOnceTheDataFits_TheSamePatchGoesThrough()
    {
        var id = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await _broker.Client.Provision(id, ProvisionBody(LargePlanId))).StatusCode);
        Assert.Equal("succeeded", (await _broker.Client.PollUntilDone(id)).State);
        // About 20 MB of rows besides the empty database's 7.5 MB, and a few rows that must survive the move.
        await Execute(id, "CREATE TABLE bulk AS SELECT n, md5(n::text) AS digest FROM generate_series(1, 300000) n; " +
                          "CREATE TABLE kept AS SELECT n FROM generate_series(1, 100) n");
        var patch = () => _broker.Client.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true",
            new { service_id = ServiceId, plan_id = TinyPlanId });

        var refused = await _environment.Refused(_broker.Client, _ => patch());
        var dryRun = await _environment.Refused(_broker.Client, client => client.PatchAsJsonAsync(
            $"/v2/service_instances/{id}?accepts_incomplete=true", new { service_id = ServiceId, plan_id = TinyPlanId, parameters = new { dry_run = true } }));

        var description = (string)(await refused.AssertOsbError(HttpStatusCode.UnprocessableEntity, error: null))["description"]!;
        Assert.Matches(@"Plan dedicated-tiny has a 16 MB disk, and the database of instance \S+ uses [2-9]\d\.\d MB", description);
        Assert.Contains("nothing was changed", description);
        Assert.Equal(description, (string)(await dryRun.AssertOsbError(HttpStatusCode.UnprocessableEntity, error: null))["description"]!);
        Assert.Equal(LargePlanId, ServiceInstance.Fold(await _environment.InstanceEvents(id)).PlanId);

        await Execute(id, "DROP TABLE bulk");
        await (await patch()).AcceptedOperation();
        var done = await _broker.Client.PollUntilDone(id);

        Assert.True(done.State == "succeeded", $"{done}\n{_broker.Output}");
        Assert.Equal(TinyPlanId, ServiceInstance.Fold(await _environment.InstanceEvents(id)).PlanId);
        Assert.Equal(100L, await _environment.Scalar<long>(id, "SELECT count(*) FROM kept"));
    }

    [Fact]
    public async Task ShrinkingACluster_SumsItsDatabases_EachMeasuredWithItsOwnRole()
    {
        var (clusterId, first, second) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await (await _broker.Client.ProvisionCluster(clusterId, "shrinking", planId: ClusterOsb.ClusterLargePlanId)).AcceptedOperation();
        await _broker.Client.Succeeds(clusterId, () => _broker.Output);
        foreach (var database in new[] { first, second })
        {
            await (await _broker.Client.ProvisionDatabase(database, new { cluster = clusterId.ToString() }, $"db-{database:N}")).AcceptedOperation();
            await _broker.Client.Succeeds(database, () => _broker.Output);
            // About 13 MB of rows each besides the empty database's 7.5 MB: each fits 36 MB alone, the two together do not.
            await ExecuteInChild(clusterId, database, "CREATE TABLE bulk AS SELECT n, md5(n::text) AS digest FROM generate_series(1, 200000) n; " +
                                                      "CREATE TABLE kept AS SELECT n FROM generate_series(1, 50) n");
        }
        var patch = () => _broker.Client.UpdateCluster(clusterId, TinyClusterPlanId, parameters: null);

        var refused = await _environment.Refused(_broker.Client, _ => patch());

        var description = (string)(await refused.AssertOsbError(HttpStatusCode.UnprocessableEntity, error: null))["description"]!;
        Assert.Matches($@"Plan cluster-tiny has a 36 MB disk, and the 2 databases of cluster {clusterId} use (3[7-9]|[4-5]\d)\.\d MB", description);
        Assert.Equal(ClusterOsb.ClusterLargePlanId, ServiceInstance.Fold(await _environment.InstanceEvents(clusterId)).PlanId);

        await ExecuteInChild(clusterId, first, "DROP TABLE bulk");
        await (await patch()).AcceptedOperation();
        await _broker.Client.Succeeds(clusterId, () => _broker.Output);

        Assert.Equal(TinyClusterPlanId, ServiceInstance.Fold(await _environment.InstanceEvents(clusterId)).PlanId);
        foreach (var database in new[] { first, second })
            Assert.Equal(50L, await ScalarInChild<long>(clusterId, database, "SELECT count(*) FROM kept"));
    }

    private Task Execute(Guid id, string sql) => _environment.Execute(id, sql);

    private async Task ExecuteInChild(Guid clusterId, Guid databaseId, string sql)
    {
        await using var connection = await OpenChild(clusterId, databaseId);
        await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarInChild<T>(Guid clusterId, Guid databaseId, string sql)
    {
        await using var connection = await OpenChild(clusterId, databaseId);
        return (T)(await new NpgsqlCommand(sql, connection).ExecuteScalarAsync())!;
    }

    /// <summary>The child's database on its cluster's server, as the child's admin role.</summary>
    private async Task<NpgsqlConnection> OpenChild(Guid clusterId, Guid databaseId)
    {
        var server = ServiceInstance.Fold(await _environment.InstanceEvents(clusterId)).Server!;
        var database = ServiceInstance.Fold(await _environment.InstanceEvents(databaseId)).Database!;
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = server.Host, Port = server.Port, Database = database.Database, Username = database.AdminUsername,
            Password = new SecretProtector(_environment.SecretKey).Unprotect(database.EncryptedAdminPassword), Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
