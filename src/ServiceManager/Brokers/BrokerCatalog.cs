using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Resources;

namespace EventSourced.ServiceManager.Brokers;

/// <summary>A catalog offering as the manager shows it: its own id (stable per broker and catalog id, so visibilities survive a catalog refresh).</summary>
public sealed record CatalogOffering(string Id, JsonObject Service)
{
    public string CatalogId => Service["id"]!.GetValue<string>();

    public JsonObject ToJson(Broker broker) => new()
    {
        ["id"] = Id,
        ["name"] = Service["name"]?.DeepClone(),
        ["description"] = Service["description"]?.DeepClone(),
        ["catalog_id"] = CatalogId,
        ["catalog_name"] = Service["name"]?.DeepClone(),
        ["broker_id"] = broker.Id,
        ["bindable"] = Service["bindable"]?.DeepClone() ?? false,
        ["plan_updateable"] = Service["plan_updateable"]?.DeepClone() ?? false,
        ["instances_retrievable"] = Service["instances_retrievable"]?.DeepClone() ?? false,
        ["bindings_retrievable"] = Service["bindings_retrievable"]?.DeepClone() ?? false,
        ["allow_context_updates"] = Service["allow_context_updates"]?.DeepClone() ?? false,
        ["metadata"] = Service["metadata"]?.DeepClone() ?? new JsonObject(),
        ["tags"] = Service["tags"]?.DeepClone() ?? new JsonArray(),
        ["created_at"] = Listing.Time(broker.CreatedAt),
        ["updated_at"] = Listing.Time(broker.UpdatedAt),
        ["labels"] = new JsonObject(),
        ["ready"] = true,
    };
}

public sealed record CatalogPlan(string Id, CatalogOffering Offering, JsonObject Plan)
{
    public string CatalogId => Plan["id"]!.GetValue<string>();
    public string Name => Plan["name"]!.GetValue<string>();

    /// <summary>Whether instances of the plan may be shared across platforms: <c>metadata.shareable</c> true (or "true").</summary>
    public bool Shareable => Plan["metadata"]?["shareable"] is JsonValue v
        && ((v.TryGetValue<bool>(out var b) && b) || (v.TryGetValue<string>(out var s) && s == "true"));

    public bool Bindable => Plan["bindable"] is JsonValue pb ? pb.GetValue<bool>() : Offering.Service["bindable"]?.GetValue<bool>() ?? false;

    public TimeSpan? MaximumPollingDuration => Plan["maximum_polling_duration"] is JsonValue v && v.TryGetValue<int>(out var s) ? TimeSpan.FromSeconds(s) : null;

    public JsonObject ToJson(Broker broker) => new()
    {
        ["id"] = Id,
        ["name"] = Name,
        ["description"] = Plan["description"]?.DeepClone(),
        ["catalog_id"] = CatalogId,
        ["catalog_name"] = Name,
        ["free"] = Plan["free"]?.DeepClone() ?? true,
        ["bindable"] = Bindable,
        ["plan_updateable"] = Plan["plan_updateable"]?.DeepClone() ?? Offering.Service["plan_updateable"]?.DeepClone() ?? false,
        ["maximum_polling_duration"] = Plan["maximum_polling_duration"]?.DeepClone(),
        ["maintenance_info"] = Plan["maintenance_info"]?.DeepClone(),
        ["metadata"] = Plan["metadata"]?.DeepClone() ?? new JsonObject(),
        ["schemas"] = Plan["schemas"]?.DeepClone(),
        ["service_offering_id"] = Offering.Id,
        ["created_at"] = Listing.Time(broker.CreatedAt),
        ["updated_at"] = Listing.Time(broker.UpdatedAt),
        ["labels"] = new JsonObject(),
        ["ready"] = true,
    };
}

/// <summary>
/// A broker's OSB catalog (<c>{"services": […]}</c>), validated when it is fetched (every problem is named by its
/// path), and its offerings and plans with the manager's ids.
/// </summary>
public sealed record BrokerCatalog(JsonObject Document, IReadOnlyList<CatalogOffering> Offerings, IReadOnlyList<CatalogPlan> Plans)
{
    public static readonly BrokerCatalog Empty = new(new JsonObject { ["services"] = new JsonArray() }, [], []);

    public static BrokerCatalog Of(string brokerId, string json)
    {
        var document = JsonNode.Parse(json)!.AsObject();
        var offerings = new List<CatalogOffering>();
        var plans = new List<CatalogPlan>();
        foreach (var service in document["services"]!.AsArray().Select(s => s!.AsObject()))
        {
            var offering = new CatalogOffering(StableId(brokerId, service["id"]!.GetValue<string>()), service);
            offerings.Add(offering);
            plans.AddRange(service["plans"]!.AsArray().Select(p => new CatalogPlan(
                StableId(brokerId, offering.CatalogId, p!["id"]!.GetValue<string>()), offering, p.AsObject())));
        }
        return new BrokerCatalog(document, offerings, plans);
    }

    /// <summary>Every problem of a fetched catalog that would stop the manager from using it; empty when none.</summary>
    public static IReadOnlyList<string> Problems(JsonNode? catalog)
    {
        var problems = new List<string>();
        if (catalog?["services"] is not JsonArray services)
            return ["the catalog must be an object with a \"services\" array"];
        var serviceIds = new HashSet<string>();
        for (var i = 0; i < services.Count; i++)
        {
            var where = $"services[{i}]";
            if (services[i] is not JsonObject service)
            {
                problems.Add($"{where} must be an object");
                continue;
            }
            if (!IsText(service["id"])) problems.Add($"{where}.id must be a non-empty string");
            else if (!serviceIds.Add(service["id"]!.GetValue<string>())) problems.Add($"{where}.id is not unique");
            if (!IsText(service["name"])) problems.Add($"{where}.name must be a non-empty string");
            if (service["bindable"] is { } sb && (sb is not JsonValue sv || !sv.TryGetValue<bool>(out _))) problems.Add($"{where}.bindable must be a boolean");
            if (service["plans"] is not JsonArray plans || plans.Count == 0)
            {
                problems.Add($"{where}.plans must be a non-empty array");
                continue;
            }
            var planIds = new HashSet<string>();
            for (var j = 0; j < plans.Count; j++)
            {
                var planWhere = $"{where}.plans[{j}]";
                if (plans[j] is not JsonObject plan)
                {
                    problems.Add($"{planWhere} must be an object");
                    continue;
                }
                if (!IsText(plan["id"])) problems.Add($"{planWhere}.id must be a non-empty string");
                else if (!planIds.Add(plan["id"]!.GetValue<string>())) problems.Add($"{planWhere}.id is not unique");
                if (!IsText(plan["name"])) problems.Add($"{planWhere}.name must be a non-empty string");
                else if (plan["name"]!.GetValue<string>() == ReferencePlan.Name)
                    problems.Add($"{planWhere}.name '{ReferencePlan.Name}' is the manager's own plan name");
                if (plan["bindable"] is { } pb && (pb is not JsonValue b || !b.TryGetValue<bool>(out _))) problems.Add($"{planWhere}.bindable must be a boolean");
                if (plan["maximum_polling_duration"] is JsonValue m && !m.TryGetValue<int>(out _))
                    problems.Add($"{planWhere}.maximum_polling_duration must be an integer");
            }
        }
        return problems;
    }

    private static bool IsText(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0;

    public static string StableId(params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts)));
        var bytes = hash[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x50); // version 5-like: name-based
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString();
    }
}

/// <summary>The manager's own plan of every offering that has a shareable plan: an instance of it refers to a shared instance.</summary>
public static class ReferencePlan
{
    public const string Name = "reference-instance";
    public const string Parameter = "referenced_instance_id";

    public static string CatalogId(string offeringId) => BrokerCatalog.StableId("reference-plan", offeringId);
}
