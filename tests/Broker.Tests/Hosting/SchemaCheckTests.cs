using System.Net;
using EventSourced.Broker.Tests.Osb;
using Xunit.Abstractions;

namespace EventSourced.Broker.Tests.Hosting;

/// <summary>
/// Production (EventStore:AutoCreate None): the broker never changes the schema itself. On a schema that differs from
/// its configuration it refuses to start and names `db apply`; after `db apply` it starts.
/// </summary>
public sealed class SchemaCheckTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Production = new() { ["EventStore__AutoCreate"] = "None" };

    [Fact]
    public async Task WithAutoCreateNone_RefusesAFreshOrAlteredSchema_NamingDbApply_AndStartsAfterDbApply()
    {
        // The environment's settings carry AutoCreate None: the broker and `db apply` both run with them.
        await using var environment = await BrokerEnvironment.Create(Production);

        // A fresh database: no table of the broker's.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.Start(environment));
        output.WriteLine(refused.Message);
        Assert.StartsWith("The broker exited with ", refused.Message);
        Assert.DoesNotContain("The broker exited with 0:", refused.Message);
        Assert.Contains("db apply", refused.Message);
        Assert.Equal(0, await BrokerTableCount(environment));

        var apply = await ProjectionsCli.Run(environment, "db", "apply");
        Assert.True(apply.ExitCode == 0, $"db apply exited with {apply.ExitCode}:\n{apply.Output}\n{apply.Error}");
        Assert.Contains("Schema applied.", apply.Output);

        await using (var broker = await BrokerProcess.Start(environment))
        {
            var catalog = await broker.Client.GetAsync("/v2/catalog");
            Assert.Equal(HttpStatusCode.OK, catalog.StatusCode);
            Assert.Contains("postgresql-on-demand", await catalog.Content.ReadAsStringAsync());
        }

        // Someone changes the schema behind the broker's back.
        await using (var alter = environment.Database.DataSource.CreateCommand("ALTER TABLE broker.last_operations DROP COLUMN description"))
            await alter.ExecuteNonQueryAsync();

        var refusedAgain = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.Start(environment));
        output.WriteLine(refusedAgain.Message);
        Assert.DoesNotContain("The broker exited with 0:", refusedAgain.Message);
        Assert.Contains("db apply", refusedAgain.Message);
        Assert.Contains("last_operations", refusedAgain.Message);

        // And `db apply` repairs that too.
        var repair = await ProjectionsCli.Run(environment, "db", "apply");
        Assert.True(repair.ExitCode == 0, $"db apply exited with {repair.ExitCode}:\n{repair.Output}\n{repair.Error}");
        await using (var broker = await BrokerProcess.Start(environment))
            Assert.Equal(HttpStatusCode.OK, (await broker.Client.GetAsync("/v2/catalog")).StatusCode);
    }

    private static async Task<long> BrokerTableCount(BrokerEnvironment environment)
    {
        await using var command = environment.Database.DataSource.CreateCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'broker'");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
