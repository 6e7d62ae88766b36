using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Brokers;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Resources;
using EventSourced.ServiceManager.Visibilities;
using Marten;

namespace EventSourced.ServiceManager.Osb;

/// <summary>
/// A broker's catalog as one platform sees it: only the plans a visibility shows it (offerings left without a plan are
/// left out), plus, in every offering with a shareable plan, the manager's <c>reference-instance</c> plan.
/// </summary>
public static class OsbCatalog
{
    public static async Task<IResult> Get(string brokerId, HttpContext http, ManagerStreams streams, IDocumentStore store)
    {
        var broker = await streams.Read<Broker, Broker>(Broker.StreamKey(brokerId), http.RequestAborted);
        if (!broker.Exists) return ApiErrors.NotFound($"service broker '{brokerId}' not found");
        await using var session = store.QuerySession();
        var visible = await VisibilityEndpoints.VisiblePlans(session, Authentication.Platform(http), http.RequestAborted);
        var catalog = BrokerCatalog.Of(broker.Id, broker.Catalog);
        var services = new JsonArray();
        foreach (var offering in catalog.Offerings)
        {
            var plans = catalog.Plans.Where(p => p.Offering.Id == offering.Id && visible.Contains(p.Id)).ToList();
            if (plans.Count == 0) continue;
            var service = offering.Service.DeepClone().AsObject();
            var shown = new JsonArray(plans.Select(p => (JsonNode?)p.Plan.DeepClone()).ToArray());
            if (catalog.Plans.Any(p => p.Offering.Id == offering.Id && p.Shareable)) shown.Add(ReferencePlanOf(offering));
            service["plans"] = shown;
            services.Add(service);
        }
        return Results.Json(new JsonObject { ["services"] = services });
    }

    public static JsonObject ReferencePlanOf(CatalogOffering offering) => new()
    {
        ["id"] = ReferencePlan.CatalogId(offering.Id),
        ["name"] = ReferencePlan.Name,
        ["description"] = "A reference to a shared instance of this service (parameter referenced_instance_id)",
        ["free"] = true,
        ["bindable"] = true,
        ["plan_updateable"] = false,
        ["metadata"] = new JsonObject { ["referencePlan"] = true },
        ["schemas"] = new JsonObject
        {
            ["service_instance"] = new JsonObject
            {
                ["create"] = new JsonObject
                {
                    ["parameters"] = new JsonObject
                    {
                        ["$schema"] = "http://json-schema.org/draft-04/schema#",
                        ["type"] = "object",
                        ["required"] = new JsonArray(ReferencePlan.Parameter),
                        ["properties"] = new JsonObject { [ReferencePlan.Parameter] = new JsonObject { ["type"] = "string" } },
                    },
                },
            },
        },
    };
}
