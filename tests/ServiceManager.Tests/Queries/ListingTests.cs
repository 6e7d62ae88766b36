using System.Net;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Tests.Support;

namespace EventSourced.ServiceManager.Tests.Queries;

/// <summary>Listing over HTTP: fieldQuery, labelQuery, paging with max_items and token, label operations.</summary>
public sealed class ListingTests(ManagerOnly fixture) : IClassFixture<ManagerOnly>
{
    private HttpClient Admin => fixture.Manager.Admin;

    /// <summary>Platforms labelled with a suite of their own, so a test lists only its own.</summary>
    private async Task<(string Suite, List<string> Ids)> Platforms(int count, Func<int, string> type)
    {
        var suite = Guid.NewGuid().ToString("N");
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var body = await Admin.Post("/v1/platforms", new JsonObject
            {
                ["name"] = $"{suite}-{i}", ["type"] = type(i),
                ["labels"] = new JsonObject { ["suite"] = new JsonArray(suite), ["parity"] = new JsonArray(i % 2 == 0 ? "even" : "odd") },
            }).Expect(HttpStatusCode.Created);
            ids.Add(body["id"]!.GetValue<string>());
        }
        return (suite, ids);
    }

    private async Task<JsonObject> List(string query) => await Admin.GetAsync($"/v1/platforms?{query}").Expect(HttpStatusCode.OK);

    private static List<string> Names(JsonObject page) => page["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).ToList();

    private static string Q(string text) => Uri.EscapeDataString(text);

    [Fact]
    public async Task Field_and_label_queries_filter_the_list()
    {
        var (suite, _) = await Platforms(5, i => i < 2 ? "kubernetes" : "cloudfoundry");
        var mine = $"labelQuery={Q($"suite eq '{suite}'")}";
        Assert.Equal(5, Names(await List(mine)).Count);
        Assert.Equal([$"{suite}-0", $"{suite}-1"], Names(await List($"{mine}&fieldQuery={Q("type eq 'kubernetes'")}")));
        Assert.Equal([$"{suite}-2", $"{suite}-3", $"{suite}-4"], Names(await List($"{mine}&fieldQuery={Q("type ne 'kubernetes'")}")));
        Assert.Equal([$"{suite}-1", $"{suite}-3"], Names(await List($"labelQuery={Q($"suite eq '{suite}' and parity eq 'odd'")}")));
        Assert.Equal([$"{suite}-0", $"{suite}-2", $"{suite}-4"], Names(await List($"labelQuery={Q($"suite in ('{suite}') and parity notin ('odd')")}")));
        Assert.Equal([$"{suite}-4"], Names(await List(
            $"labelQuery={Q($"suite in ('{suite}') and parity notin ('odd')")}&fieldQuery={Q($"name in ('{suite}-0', '{suite}-1', '{suite}-4') and type eq 'cloudfoundry'")}")));
        var created = (await List($"{mine}&fieldQuery={Q($"name eq '{suite}-2'")}"))["items"]![0]!["created_at"]!.GetValue<string>();
        Assert.Equal([$"{suite}-3", $"{suite}-4"], Names(await List($"{mine}&fieldQuery={Q($"created_at gt {created}")}")));
        Assert.Equal([$"{suite}-0", $"{suite}-1", $"{suite}-2"], Names(await List($"{mine}&fieldQuery={Q($"created_at le {created}")}")));
    }

    [Theory]
    [InlineData("fieldQuery=name%20equals%20'x'", "InvalidFieldQuery", "fieldQuery: unknown operator 'equals'")]
    [InlineData("fieldQuery=password%20eq%20'x'", "InvalidFieldQuery", "platforms have no field 'password'")]
    [InlineData("labelQuery=a%20eq%20'x", "InvalidLabelQuery", "labelQuery: the string starting at position 5")]
    [InlineData("labelQuery=", "InvalidLabelQuery", "labelQuery: the query is empty")]
    [InlineData("max_items=-1", "BadRequest", "max_items must be a non-negative integer")]
    [InlineData("max_items=ten", "BadRequest", "max_items must be a non-negative integer, not 'ten'")]
    [InlineData("token=bm90LWEtdG9rZW4", "BadRequest", "token is not a token of this list")]
    [InlineData("token=%25%25%25", "BadRequest", "token is not a token of this list")]
    [InlineData("fieldQuery=name%20eq%20'a'&fieldQuery=name%20eq%20'b'", "BadRequest", "fieldQuery is given 2 times")]
    public async Task A_malformed_list_request_is_refused_naming_the_offending_part(string query, string error, string named)
    {
        using var response = await Admin.GetAsync($"/v1/platforms?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Json();
        Assert.Equal(error, body["error"]!.GetValue<string>());
        Assert.Contains(named, body["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_overlong_query_is_refused()
    {
        using var response = await Admin.GetAsync($"/v1/platforms?fieldQuery={Q("name eq '" + new string('x', 5000) + "'")}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("longer than 4096", (await response.Json())["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pages_of_max_items_follow_each_other_by_token_to_the_end()
    {
        var (suite, _) = await Platforms(5, _ => "kubernetes");
        var mine = $"labelQuery={Q($"suite eq '{suite}'")}";
        var seen = new List<string>();
        var first = await Admin.GetAsync($"/v1/platforms?{mine}&max_items=2");
        Assert.Contains("rel=\"next\"", first.Headers.GetValues("Link").Single());
        var page = await first.Json();
        Assert.Equal(5, page["num_items"]!.GetValue<int>());
        while (true)
        {
            var names = Names(page);
            Assert.True(names.Count <= 2);
            seen.AddRange(names);
            if (page["token"] is null) break;
            page = await List($"{mine}&max_items=2&token={Q(page["token"]!.GetValue<string>())}");
        }
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{suite}-{i}"), seen);
        var count = await List($"{mine}&max_items=0");
        Assert.Equal(5, count["num_items"]!.GetValue<int>());
        Assert.Empty(count["items"]!.AsArray());
    }

    [Fact]
    public async Task Paging_while_others_register_neither_repeats_nor_skips_what_was_there()
    {
        var (suite, _) = await Platforms(6, _ => "kubernetes");
        var mine = $"labelQuery={Q($"suite eq '{suite}'")}";
        var seen = new List<string>();
        var page = await List($"{mine}&max_items=2");
        var added = 0;
        while (true)
        {
            seen.AddRange(Names(page));
            // Another operator registers into the same list between pages.
            await Admin.Post("/v1/platforms", new JsonObject
            {
                ["name"] = $"{suite}-late-{added++}", ["type"] = "k8s", ["labels"] = new JsonObject { ["suite"] = new JsonArray(suite) },
            }).Expect(HttpStatusCode.Created);
            if (page["token"] is null || added > 20) break;
            page = await List($"{mine}&max_items=2&token={Q(page["token"]!.GetValue<string>())}");
        }
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.True(Enumerable.Range(0, 6).All(i => seen.Contains($"{suite}-{i}")), string.Join(", ", seen));
    }

    [Fact]
    public async Task Label_operations_add_and_remove_labels_and_values()
    {
        var (_, ids) = await Platforms(1, _ => "kubernetes");
        var path = $"/v1/platforms/{ids[0]}";
        JsonObject Ops(params JsonObject[] ops) => new() { ["labels"] = new JsonArray(ops) };
        JsonObject Op(string op, string key, params string[] values) => values.Length == 0
            ? new JsonObject { ["op"] = op, ["key"] = key }
            : new JsonObject { ["op"] = op, ["key"] = key, ["values"] = new JsonArray(values.Select(v => (JsonNode?)v).ToArray()) };

        var labels = (await Admin.Patch(path, Ops(Op("add", "env", "dev"), Op("add_values", "env", "test", "dev"), Op("add", "team", "a", "b")))
            .Expect(HttpStatusCode.OK))["labels"]!;
        Assert.Equal(["dev", "test"], labels["env"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(["a", "b"], labels["team"]!.AsArray().Select(v => v!.GetValue<string>()));

        labels = (await Admin.Patch(path, Ops(Op("remove_values", "env", "dev"), Op("remove", "team"), Op("remove", "absent")))
            .Expect(HttpStatusCode.OK))["labels"]!;
        Assert.Equal(["test"], labels["env"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Null(labels["team"]);
        labels = (await Admin.Patch(path, Ops(Op("remove_values", "env", "test"))).Expect(HttpStatusCode.OK))["labels"]!;
        Assert.Null(labels["env"]);
    }

    [Theory]
    [InlineData("{\"labels\":{\"a\":[\"b\"]}}", "labels must be an array of label operations")]
    [InlineData("{\"labels\":[{\"op\":\"add\",\"key\":\"k\",\"values\":[\"ok\"]},{\"op\":\"replace\",\"key\":\"k\",\"values\":[\"v\"]}]}", "labels[1].op 'replace' is not one of")]
    [InlineData("{\"labels\":[{\"op\":\"add\",\"key\":\"k\",\"values\":[\"ok\"]},{\"op\":\"add\",\"key\":\"k\"}]}", "labels[1].values is required for add")]
    [InlineData("{\"labels\":[{\"op\":\"add\",\"key\":\"k\",\"values\":[\"ok\"]},{\"op\":\"add\",\"key\":\"a=b\",\"values\":[\"v\"]}]}", "must not contain white space, '=' or ','")]
    [InlineData("{\"labels\":[{\"op\":\"add\",\"key\":\"k\",\"values\":[\"ok\"]},{\"op\":\"add\",\"key\":\"k\",\"values\":[\"a\\nb\"]}]}", "without newlines")]
    [InlineData("{\"labels\":[{\"op\":\"add\",\"key\":\"k\",\"values\":[\"ok\"]},{\"op\":\"remove_values\",\"key\":\"k\"}]}", "values is required for remove_values")]
    public async Task A_bad_label_operation_is_refused_and_none_of_the_others_applies(string body, string named)
    {
        var (_, ids) = await Platforms(1, _ => "kubernetes");
        var before = await fixture.Manager.EventCount();
        using var response = await Admin.PatchAsync($"/v1/platforms/{ids[0]}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, (await response.Json())["description"]!.GetValue<string>());
        Assert.Equal(before, await fixture.Manager.EventCount());
        Assert.Null((await Admin.GetAsync($"/v1/platforms/{ids[0]}").Expect(HttpStatusCode.OK))["labels"]!["k"]);
    }

    [Fact]
    public async Task Label_changes_made_at_once_are_all_kept()
    {
        var (_, ids) = await Platforms(1, _ => "kubernetes");
        var values = Enumerable.Range(0, 8).Select(i => $"v{i}").ToList();
        await Task.WhenAll(values.Select(v => Admin.Patch($"/v1/platforms/{ids[0]}", new JsonObject
        {
            ["labels"] = new JsonArray(new JsonObject { ["op"] = "add_values", ["key"] = "many", ["values"] = new JsonArray(v) }),
        }).Expect(HttpStatusCode.OK)));
        var labels = (await Admin.GetAsync($"/v1/platforms/{ids[0]}").Expect(HttpStatusCode.OK))["labels"]!;
        Assert.Equal(values, labels["many"]!.AsArray().Select(v => v!.GetValue<string>()).Order());
    }
}
