using System.Net;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.TestSupport;
using Npgsql;

namespace EventSourced.Broker.Tests.Clusters;

/// <summary>
/// The seed's walkthrough on real servers: a cluster, two databases in it with their own bindings, the delete guard, an
/// update of the cluster that every database survives, and the teardown in the only order allowed.
/// </summary>
public sealed class ClusterEndToEndTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private HttpClient Client => fixture.Broker.Client;
    private string Output() => fixture.Broker.Output;

    [Fact]
    public async Task ClusterWithTwoDatabases_IsolatedLogins_DeleteGuard_UpdateKeepsData_TeardownInOrder()
    {
        var (clusterId, customersId, productsId) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await (await Client.ProvisionCluster(clusterId, "team-db-cluster")).AcceptedOperation();
        await Client.Succeeds(clusterId, Output);

        // One by name in the requesting space, one by id.
        await (await Client.ProvisionDatabase(customersId, new { cluster = "team-db-cluster", extensions = new[] { "citext", "pg_trgm" } }, "customers"))
            .AcceptedOperation();
        await (await Client.ProvisionDatabase(productsId, new { cluster = clusterId.ToString() }, "products")).AcceptedOperation();
        await Client.Succeeds(customersId, Output);
        await Client.Succeeds(productsId, Output);

        var (customerBinding, productBinding) = (Guid.NewGuid(), Guid.NewGuid());
        var customers = await Client.BindDatabase(customersId, customerBinding);
        var products = await Client.BindDatabase(productsId, productBinding);
        Assert.Equal(((int)customers["port"]!, (string?)customers["host"]), ((int)products["port"]!, (string?)products["host"]));
        Assert.NotEqual((string?)customers["database"], (string?)products["database"]);
        // Each database has the extensions it was created with, and only those.
        Assert.Equal("citext,pg_trgm", await Execute(customers, Extensions));
        Assert.Equal("", await Execute(products, Extensions));
        await Execute(customers, "CREATE TABLE customers (name text); INSERT INTO customers VALUES ('alice')");
        await Execute(products, "CREATE TABLE products (name text); INSERT INTO products VALUES ('widget')");

        // Neither login opens a session in the other's database, nor does the other database's owner-granted access leak.
        var denied = await Assert.ThrowsAsync<PostgresException>(() => Execute(With(customers, database: (string)products["database"]!), "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        denied = await Assert.ThrowsAsync<PostgresException>(() => Execute(With(products, database: (string)customers["database"]!), "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);

        var refused = await (await Client.DeleteInstance(clusterId, ClusterOsb.ClusterSmallPlanId)).AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal(ClusterOsb.DeleteRefusal(customersId, productsId), (string?)refused["description"]);

        await (await Client.UpdateCluster(clusterId, ClusterOsb.ClusterLargePlanId, new { max_connections = 120, shared_buffers = "32MB" }))
            .AcceptedOperation();
        await Client.Succeeds(clusterId, Output);
        Assert.Equal("alice", await Execute(customers, "SELECT name FROM customers"));
        Assert.Equal("widget", await Execute(products, "SELECT name FROM products"));
        Assert.Equal("120", await Execute(customers, "SHOW max_connections"));
        Assert.Equal("32MB", await Execute(products, "SHOW shared_buffers"));

        await Client.Unbind(customersId, customerBinding);
        await (await Client.DeleteInstance(customersId, ClusterOsb.DatabasePlanId)).AcceptedOperation();
        await Client.IsGone(customersId, Output);
        // The customers database is gone from the server; products is still refused deletion's way.
        await Assert.ThrowsAsync<PostgresException>(() => Execute(customers, "SELECT 1"));
        await Eventually.True(async () =>
                (string?)(await (await Client.DeleteInstance(clusterId, ClusterOsb.ClusterSmallPlanId)).Json())["description"]
                == ClusterOsb.DeleteRefusal(productsId),
            "the deleted database is detached from its cluster");

        // Deleted without unbinding first: its login goes with it (it could still open the server's maintenance database before).
        Assert.Equal("1", await Execute(With(products, database: "postgres"), "SELECT 1"));
        await (await Client.DeleteInstance(productsId, ClusterOsb.DatabasePlanId)).AcceptedOperation();
        await Client.IsGone(productsId, Output);
        var noLogin = await Assert.ThrowsAsync<PostgresException>(() => Execute(With(products, database: "postgres"), "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, noLogin.SqlState);
        await Eventually.True(async () => (await Client.DeleteInstance(clusterId, ClusterOsb.ClusterSmallPlanId)).StatusCode == HttpStatusCode.Accepted,
            "the cluster can be deleted once its last database is");
        await Client.IsGone(clusterId, Output);
    }

    private const string Extensions = "SELECT coalesce(string_agg(extname, ',' ORDER BY extname), '') FROM pg_extension WHERE extname <> 'plpgsql'";

    private static JsonObject With(JsonObject credentials, string database)
    {
        var copy = credentials.DeepClone().AsObject();
        copy["database"] = database;
        return copy;
    }

    private static async Task<string?> Execute(JsonObject credentials, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = (string?)credentials["host"], Port = (int)credentials["port"]!, Database = (string?)credentials["database"],
            Username = (string?)credentials["username"], Password = (string?)credentials["password"], Pooling = false, Timeout = 10,
        }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }
}
