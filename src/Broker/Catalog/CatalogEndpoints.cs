using EventSourced.Commands.Catalog;

namespace EventSourced.Broker.Catalog;

public static class CatalogEndpoints
{
    public static RouteGroupBuilder MapCatalog(this RouteGroupBuilder osb)
    {
        osb.MapGet("/catalog", (ServiceCatalog catalog) => Results.Json(new { services = catalog.Services.Select(Describe) }));
        return osb;
    }

    private static object Describe(ServiceOffering service) => new
    {
        id = service.Id,
        name = service.Name,
        description = service.Description,
        bindable = service.Bindable,
        plan_updateable = service.PlanUpdateable,
        instances_retrievable = false,
        bindings_retrievable = false,
        tags = service.Tags,
        metadata = service.Metadata,
        plans = service.Plans.Select(plan => new
        {
            id = plan.Id,
            name = plan.Name,
            description = plan.Description,
            free = plan.Free,
            bindable = plan.Bindable ?? service.Bindable,
            plan_updateable = plan.PlanUpdateable ?? service.PlanUpdateable,
            metadata = plan.Metadata,
        }),
    };
}
