using System.Net;
using System.Text.RegularExpressions;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;
using Npgsql;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>
/// <c>projections rebuild &lt;name&gt;</c> beside a serving broker: rows of the read model damaged behind the broker's back
/// (deleted, altered) change what the platform and operators read; the rebuild makes the answers what they were.
/// The broker runs without its read cache of last_operation: the cache answers what the log last told it, which rows
/// damaged behind the broker's back never reach, so with it the damage would change no poll's answer.
/// </summary>
public sealed partial class ProjectionsCliTests(TableReadingBrokerFixture fixture) : IClassFixture<TableReadingBrokerFixture>
{
    private HttpClient Client => fixture.Broker.Client;

    [Theory]
    [InlineData("last-operations")]
    [InlineData("instance-directory")]
    [InlineData("all")]
    public async Task ProjectionsRebuild_DamagedRowsWhileBrokerServes_ReachesTotalAndAnswersAreRightAgain(string projection)
    {
        var (provisioned, deprovisioned) = (Guid.NewGuid(), Guid.NewGuid());
        await Task.WhenAll(Provision(provisioned), Provision(deprovisioned));
        await (await Client.Deprovision(deprovisioned)).AcceptedOperation();
        await fixture.AssertEnds(deprovisioned, HttpStatusCode.Gone, state: null);
        await CaughtUp();
        var before = await Answers(provisioned, deprovisioned);
        var events = await fixture.Environment.EventCount();
        await Damage(projection, provisioned, deprovisioned);
        var damaged = await Answers(provisioned, deprovisioned);
        Assert.True(damaged != before, $"damaging {projection} changed no answer:\n{damaged}");

        var (exitCode, output, error) = await ProjectionsCli.Run(fixture.Environment, "projections", "rebuild", projection);

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{output}\n{error}");
        var last = Progress().Matches(output).Last();
        Assert.True(output.LastIndexOf($"{projection}: rebuilt.", StringComparison.Ordinal) > last.Index, output);
        Assert.DoesNotContain("info:", output);
        Assert.Equal(Count(last.Groups["total"].Value), Count(last.Groups["processed"].Value));
        Assert.Equal(events, Count(last.Groups["total"].Value));
        var after = await Answers(provisioned, deprovisioned);
        Assert.True(before == after, $"before:\n{before}\nafter:\n{after}\n{output}\n{error}");
    }

    [Fact]
    public async Task ProjectionsRebuild_UnknownName_FailsListingKnownNames()
    {
        var (exitCode, output, error) = await ProjectionsCli.Run(fixture.Environment, "projections", "rebuild", "nope");

        Assert.True(exitCode != 0, $"exit code {exitCode}\n{output}\n{error}");
        Assert.Contains("nope", error);
        Assert.Contains("last-operations", error);
        Assert.Contains("instance-directory", error);
    }

    /// <summary>What a lost write, a bad migration or a hand edit would leave: the provisioned instance's rows deleted or altered.</summary>
    private async Task Damage(string projection, Guid provisioned, Guid deprovisioned)
    {
        var statements = new List<string>();
        if (projection is "last-operations" or "all")
            statements.Add("DELETE FROM broker.last_operations WHERE instance_id = ANY($1)");
        if (projection is "instance-directory" or "all")
            statements.Add("UPDATE broker.instance_directory SET status = 'Damaged', port = 1, disk_mb = 1 WHERE instance_id = ANY($1)");
        foreach (var sql in statements)
        {
            await using var command = fixture.Environment.Database.DataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = new[] { provisioned, deprovisioned } });
            Assert.True(await command.ExecuteNonQueryAsync() > 0, $"nothing to damage: {sql}");
        }
    }

    private async Task Provision(Guid instanceId)
    {
        await (await Client.Provision(instanceId)).AcceptedOperation();
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    /// <summary>The instance directory follows the log asynchronously: compare answers only once every projection is at its head.</summary>
    private Task CaughtUp() =>
        Eventually.Until(async () =>
        {
            var (exitCode, output, error) = await ProjectionsCli.Run(fixture.Environment, "projections", "list");
            Assert.True(exitCode == 0, $"exit code {exitCode}\n{output}\n{error}");
            return output;
        }, output =>
        {
            // The table's rows: │ name │ kind │ position │ behind │
            var behind = output.Split('\n').Where(line => line.StartsWith('│') && !line.Contains("Projection"))
                .Select(line => line.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1]).ToList();
            return behind.Count > 0 && behind.All(lag => lag == "0");
        }, "every projection at the log's head (projections list)", seconds: 30);

    /// <summary>Everything a platform or an operator reads about the instances, as status code and body.</summary>
    private async Task<string> Answers(params Guid[] instanceIds)
    {
        var answers = new List<string>();
        foreach (var id in instanceIds)
        foreach (var path in new[] { $"/v2/service_instances/{id}/last_operation", $"/admin/instances/{id}" })
        {
            var response = await Client.GetAsync(path);
            answers.Add($"{path} {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return string.Join("\n", answers);
    }

    private static long Count(string digits) => long.Parse(digits.Replace(",", "").Replace(".", ""));

    [GeneratedRegex(@"(?<processed>[\d,.]+)/(?<total>[\d,.]+) events")]
    private static partial Regex Progress();
}

/// <summary>A broker whose last_operation answers are read from the table (<c>ReadCache__Enabled=false</c>).</summary>
public sealed class TableReadingBrokerFixture : BrokerFixture
{
    // The simulated backend: the rebuild is of the log and its views, not of servers (six real ones cost a CI minute).
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["ReadCache__Enabled"] = "false",
        ["Provisioners__Backend"] = "simulated",
    };
}
