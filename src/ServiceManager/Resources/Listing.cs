using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Queries;
using Marten;

namespace EventSourced.ServiceManager.Resources;

/// <summary>
/// <c>GET /v1/{type}</c> for every resource type: <c>fieldQuery</c> and <c>labelQuery</c>, ordered by creation time and
/// id, paged by <c>max_items</c> and an opaque <c>token</c> (the position after the page's last item, so a page never
/// repeats or skips an item that existed when the first page was read, whatever is added or deleted meanwhile).
/// </summary>
public static class Listing
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;
    public const int MaxQueryLength = 4096;

    /// <summary>The top-level fields each type shows, which <c>fieldQuery</c> may name (a dotted path reaches into objects).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Fields = new Dictionary<string, string[]>
    {
        [ResourceTypes.Brokers] = ["id", "name", "description", "broker_url", "created_at", "updated_at", "ready"],
        [ResourceTypes.Platforms] = ["id", "name", "type", "description", "created_at", "updated_at", "ready"],
        [ResourceTypes.Offerings] = ["id", "name", "description", "catalog_id", "catalog_name", "broker_id", "bindable", "plan_updateable",
            "instances_retrievable", "bindings_retrievable", "allow_context_updates", "metadata", "tags", "created_at", "updated_at", "ready"],
        [ResourceTypes.Plans] = ["id", "name", "description", "catalog_id", "catalog_name", "free", "bindable", "plan_updateable",
            "maximum_polling_duration", "service_offering_id", "metadata", "created_at", "updated_at", "ready"],
        [ResourceTypes.Visibilities] = ["id", "platform_id", "service_plan_id", "created_at", "updated_at", "ready"],
        [ResourceTypes.Instances] = ["id", "name", "service_plan_id", "platform_id", "broker_id", "last_operation", "labels", "context", "dashboard_url", "shared",
            "referenced_instance_id", "usable", "ready", "state", "created_at", "updated_at"],
        [ResourceTypes.Bindings] = ["id", "name", "service_instance_id", "bound_instance_id", "platform_id", "broker_id", "last_operation", "context", "ready", "state", "created_at", "updated_at"],
        [ResourceTypes.Operations] = ["id", "type", "state", "resource_id", "resource_type", "platform_id", "description", "stuck", "orphan_mitigation", "external_id", "deadline",
            "created_at", "updated_at", "ready"],
    };

    public static async Task<IResult> List(HttpContext http, IDocumentStore store, string type, Func<JsonObject, bool>? visible = null)
    {
        var query = http.Request.Query;
        foreach (var parameter in new[] { "fieldQuery", "labelQuery", "token", "max_items" })
        {
            if (query[parameter].Count > 1) return ApiErrors.BadRequest($"{parameter} is given {query[parameter].Count} times: give it once");
            if (query[parameter].ToString().Length > MaxQueryLength) return ApiErrors.BadRequest($"{parameter} is longer than {MaxQueryLength} characters");
        }
        IReadOnlyList<Predicate> fieldQuery = [], labelQuery = [];
        if (query.TryGetValue("fieldQuery", out var fq))
        {
            try
            {
                fieldQuery = Query.Parse(fq.ToString());
            }
            catch (Query.Malformed e)
            {
                return ApiErrors.InvalidFieldQuery($"fieldQuery: {e.Message}");
            }
            var known = Fields[type];
            if (fieldQuery.FirstOrDefault(p => !known.Contains(p.Operand.Split('.')[0])) is { } unknown)
                return ApiErrors.InvalidFieldQuery($"fieldQuery: {type} have no field '{unknown.Operand}' (fields: {string.Join(", ", known)})");
        }
        if (query.TryGetValue("labelQuery", out var lq))
        {
            try
            {
                labelQuery = Query.Parse(lq.ToString());
            }
            catch (Query.Malformed e)
            {
                return ApiErrors.InvalidLabelQuery($"labelQuery: {e.Message}");
            }
        }
        var pageSize = DefaultPageSize;
        if (query.TryGetValue("max_items", out var max))
        {
            if (!int.TryParse(max.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out pageSize) || pageSize < 0)
                return ApiErrors.BadRequest($"max_items must be a non-negative integer, not '{Excerpt(max.ToString())}'");
            pageSize = Math.Min(pageSize, MaxPageSize);
        }
        (DateTimeOffset CreatedAt, string Id)? after = null;
        if (query.TryGetValue("token", out var token) && token.ToString().Length > 0)
        {
            after = Decode(token.ToString());
            if (after is null) return ApiErrors.BadRequest("token is not a token of this list: start again from the first page (no token)");
        }

        await using var session = store.QuerySession();
        var views = await session.Query<ResourceView>().Where(v => v.Type == type).ToListAsync(http.RequestAborted);
        var matching = views
            .OrderBy(v => v.CreatedAt.UtcTicks).ThenBy(v => v.ResourceId, StringComparer.Ordinal)
            .Select(v => (View: v, Item: JsonNode.Parse(v.Json)!.AsObject()))
            .Where(x => (visible is null || visible(x.Item)) && QueryEvaluation.Fields(x.Item, fieldQuery) && QueryEvaluation.Labels(x.Item, labelQuery))
            .ToList();
        var rest = after is { } position
            ? matching.Where(x => x.View.CreatedAt.UtcTicks > position.CreatedAt.UtcTicks
                || (x.View.CreatedAt.UtcTicks == position.CreatedAt.UtcTicks && string.CompareOrdinal(x.View.ResourceId, position.Id) > 0)).ToList()
            : matching;
        var page = rest.Take(pageSize).ToList();
        var body = new JsonObject { ["num_items"] = matching.Count };
        if (rest.Count > page.Count && page.Count > 0)
        {
            var next = Encode(page[^1].View);
            body["token"] = next;
            var link = new StringBuilder($"{http.Request.Path}?token={Uri.EscapeDataString(next)}&max_items={pageSize}");
            if (fq.Count > 0) link.Append("&fieldQuery=").Append(Uri.EscapeDataString(fq.ToString()));
            if (lq.Count > 0) link.Append("&labelQuery=").Append(Uri.EscapeDataString(lq.ToString()));
            http.Response.Headers.Link = $"<{link}>; rel=\"next\"";
        }
        body["items"] = new JsonArray(page.Select(x => (JsonNode?)x.Item).ToArray());
        return Results.Json(body);
    }

    private static string Encode(ResourceView view) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{view.CreatedAt.UtcTicks}|{view.ResourceId}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (DateTimeOffset, string)? Decode(string token)
    {
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            var bar = text.IndexOf('|');
            return bar > 0 && long.TryParse(text[..bar], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                   && ticks is >= 0 and <= 3155378975999999999
                ? (new DateTimeOffset(ticks, TimeSpan.Zero), text[(bar + 1)..])
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string Excerpt(string text) => text.Length > 40 ? text[..40] + "…" : text;

    /// <summary>One resource by id, or 404.</summary>
    public static async Task<IResult> Get(IDocumentStore store, string type, string id, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var view = await session.LoadAsync<ResourceView>(ResourceView.Key(type, id), ct);
        return view is null ? ApiErrors.NotFound($"{type} '{id}' not found") : Results.Content(view.Json, "application/json");
    }

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
