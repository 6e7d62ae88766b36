using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Queries;

namespace EventSourced.ServiceManager.Tests.Queries;

/// <summary>Peripli's query language on its own: what each operator means for fields and labels, and what a malformed query is told.</summary>
public sealed class QueryLanguageTests
{
    private static readonly JsonObject Item = JsonNode.Parse("""
        {"name": "cf-eu-10", "type": "cloudfoundry", "description": null, "ready": true, "maximum_polling_duration": 60,
         "created_at": "2026-12-01T10:00:00.000000Z", "context": {"organization_guid": "org-1"},
         "labels": {"purpose": ["dev", "test"], "owner": ["it's me"]}}
        """)!.AsObject();

    private static bool Fields(string query) => QueryEvaluation.Fields(Item, Query.Parse(query));
    private static bool Labels(string query) => QueryEvaluation.Labels(Item, Query.Parse(query));

    [Theory]
    [InlineData("name eq 'cf-eu-10'", true)]
    [InlineData("name eq 'cf-eu-1'", false)]
    [InlineData("name ne 'cf-eu-1'", true)]
    [InlineData("description eq 'x'", false)]
    [InlineData("description en 'x'", true)]
    [InlineData("name en 'cf-eu-10'", true)]
    [InlineData("description ne 'x'", true)]
    [InlineData("type in ('kubernetes', 'cloudfoundry')", true)]
    [InlineData("type in('kubernetes')", false)]
    [InlineData("type notin ('kubernetes', 'x')", true)]
    [InlineData("name contains 'eu'", true)]
    [InlineData("ready eq true", true)]
    [InlineData("ready eq false", false)]
    [InlineData("ready ne false", true)]
    [InlineData("maximum_polling_duration gt 59", true)]
    [InlineData("maximum_polling_duration ge 60", true)]
    [InlineData("maximum_polling_duration lt 60", false)]
    [InlineData("maximum_polling_duration le +60", true)]
    [InlineData("created_at gt 2026-12-01T09:59:59Z", true)]
    [InlineData("created_at lt 2026-12-01T11:00:00+02:00", false)]
    [InlineData("name gt 'cf-a'", true)]
    [InlineData("context.organization_guid eq 'org-1'", true)]
    [InlineData("type eq 'cloudfoundry' and ready eq true and name contains '10'", true)]
    [InlineData("type eq 'cloudfoundry' and ready eq false", false)]
    public void Field_queries_mean_what_peripli_says(string query, bool holds) => Assert.Equal(holds, Fields(query));

    [Theory]
    [InlineData("purpose eq 'dev'", true)]
    [InlineData("purpose eq 'prod'", false)]
    [InlineData("missing eq 'dev'", false)]
    [InlineData("missing en 'dev'", true)]
    [InlineData("purpose en 'prod'", false)]
    [InlineData("purpose ne 'prod'", true)]
    [InlineData("purpose ne 'dev'", false)]
    [InlineData("missing ne 'dev'", false)]
    [InlineData("purpose in ('prod', 'test')", true)]
    [InlineData("purpose notin ('prod', 'staging')", true)]
    [InlineData("purpose notin ('test')", false)]
    [InlineData("missing notin ('test')", false)]
    [InlineData("owner eq 'it''s me'", true)]
    [InlineData("purpose contains 'es'", true)]
    [InlineData("purpose eq 'dev' and owner in ('it''s me')", true)]
    public void Label_queries_mean_what_peripli_says(string query, bool holds) => Assert.Equal(holds, Labels(query));

    [Theory]
    [InlineData("", "the query is empty")]
    [InlineData("name", "expected an operator after 'name'")]
    [InlineData("name equals 'x'", "unknown operator 'equals' at position 5")]
    [InlineData("name eq", "expected a literal at position 7")]
    [InlineData("name eq x", "'x' at position 8 is not a literal")]
    [InlineData("name eq 'x", "the string starting at position 8 is not closed")]
    [InlineData("name eq 'x' or type eq 'y'", "expected 'and' or the end of the query at position 12, found 'or'")]
    [InlineData("name eq 'x' and", "the query ends with 'and'")]
    [InlineData("name in 'x'", "must be followed by a parenthesised list")]
    [InlineData("name in ('x' 'y')", "expected ',' or ')'")]
    [InlineData("name in ('x',", "expected a literal")]
    [InlineData("ready gt true", "needs a string, integer or date-time")]
    [InlineData("name contains 5", "needs a quoted string")]
    [InlineData("'name' eq 'x'", "is not a field or label name")]
    public void A_malformed_query_is_refused_naming_the_offending_part(string query, string named)
    {
        var e = Assert.Throws<Query.Malformed>(() => Query.Parse(query));
        Assert.Contains(named, e.Message);
    }
}
