using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Osb;
using EventSourced.Commands.Catalog;

namespace EventSourced.Broker.Catalog;

/// <summary>The catalog as each API version sees it, rendered once per version with its ETag (the catalog never changes while running).</summary>
public sealed class CatalogDocument(ServiceCatalog catalog)
{
    private readonly ConcurrentDictionary<Version, (byte[] Body, string ETag)> _rendered = new();

    public (byte[] Body, string ETag) For(Version version) => _rendered.GetOrAdd(version, v =>
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["services"] = new JsonArray([.. catalog.Services.Select(s => Service(s, v))]) });
        return (body, $"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..32]}\"");
    });

    private JsonNode Service(ServiceOffering service, Version version) => new OsbBody(version)
        .Add("id", service.Id)
        .Add("name", service.Name)
        .Add("description", service.Description)
        .Add("tags", Strings(service.Tags))
        .Add("requires", Strings(service.Requires))
        .Add("bindable", service.Bindable)
        .Add(ApiFeature.InstancesRetrievable, "instances_retrievable", true)
        .Add(ApiFeature.BindingsRetrievable, "bindings_retrievable", true)
        .Add(ApiFeature.AllowContextUpdates, "allow_context_updates", service.AllowContextUpdates)
        .Add("metadata", Metadata(service.Metadata))
        .Add("plan_updateable", service.PlanUpdateable)
        .Add("plans", new JsonArray([.. service.Plans.Select(p => Plan(service, p, version))]))
        .Build();

    private JsonNode Plan(ServiceOffering service, ServicePlan plan, Version version) => new OsbBody(version)
        .Add("id", plan.Id)
        .Add("name", plan.Name)
        .Add("description", plan.Description)
        .Add("metadata", Metadata(plan.Metadata))
        .Add("free", plan.Free)
        .Add("bindable", service.IsBindable(plan))
        .Add(ApiFeature.PlanUpdateableOnPlan, "plan_updateable", service.IsPlanUpdateable(plan))
        .Add(ApiFeature.CatalogSchemas, "schemas", Schemas(plan))
        .Add(ApiFeature.MaximumPollingDuration, "maximum_polling_duration", plan.MaximumPollingDuration)
        .Add(ApiFeature.MaintenanceInfo, "maintenance_info", MaintenanceInfo(plan.MaintenanceInfo))
        .Add(ApiFeature.BindingRotation, "binding_rotatable", plan.BindingRotatable)
        .Build();

    private JsonObject? Schemas(ServicePlan plan)
    {
        JsonObject? Parameters(SchemaKind kind) =>
            catalog.Schemas.Find(plan, kind) is { } schema ? new JsonObject { ["parameters"] = JsonNode.Parse(schema.GetRawText()) } : null;
        var instanceCreate = Parameters(SchemaKind.ServiceInstanceCreate);
        var instanceUpdate = Parameters(SchemaKind.ServiceInstanceUpdate);
        var bindingCreate = Parameters(SchemaKind.ServiceBindingCreate);
        if (instanceCreate is null && instanceUpdate is null && bindingCreate is null) return null;
        var schemas = new JsonObject();
        if (instanceCreate is not null || instanceUpdate is not null)
            schemas["service_instance"] = Without(new JsonObject { ["create"] = instanceCreate, ["update"] = instanceUpdate });
        if (bindingCreate is not null) schemas["service_binding"] = new JsonObject { ["create"] = bindingCreate };
        return schemas;
    }

    private static JsonObject? MaintenanceInfo(PlanMaintenanceInfo? info) =>
        info is null ? null : Without(new JsonObject { ["version"] = info.Version, ["description"] = info.Description });

    private static JsonObject Without(JsonObject fields)
    {
        foreach (var name in fields.Where(f => f.Value is null).Select(f => f.Key).ToList()) fields.Remove(name);
        return fields;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => JsonValue.Create(v))]);

    private static JsonObject Metadata(Dictionary<string, string> metadata) => new(metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value)));
}
