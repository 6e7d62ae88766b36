using EventSourced.Commands.Fleet;
using System.Globalization;
using EventSourced.Broker.Admin;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Clusters;
using EventSourced.Projections.ServiceInstances;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EventSourced.Broker.Dashboard;

/// <summary>
/// The dashboard for people: <c>GET /dashboard/instances/{id}?expires=&amp;sig=</c>, an instance's page, opened by a
/// signed link only (no broker credentials: app developers get it as <c>dashboard_url</c>); <c>GET /dashboard</c>, every
/// instance for operators (broker credentials); and their stylesheet. Server-rendered HTML, no script.
/// </summary>
public static class DashboardEndpoints
{
    public const string OverviewPath = "/dashboard";
    public const string StylesheetPath = "/dashboard/dashboard.css";
    public const int DefaultPageSize = 25;
    public const int MaximumPageSize = 100;

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet(OverviewPath, Overview);
        // The id is not constrained to a GUID in the route: a link altered into a non-GUID gets the 403 page too, not a
        // 401 for a route that does not match.
        app.MapGet(DashboardLinks.InstancePagePrefix + "{instanceId}", Instance).AllowAnonymous();
        app.MapGet(StylesheetPath, () => Results.Bytes(Stylesheet.Value, "text/css; charset=utf-8")).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> Instance(
        string instanceId, string? expires, string? sig, HttpResponse response, DashboardLinkSigner signer, TimeProvider clock,
        InstanceHistory history, ServiceCatalog catalog, ClusterMembers clusters, DashboardLinks links, CancellationToken ct)
    {
        PageHeaders.Apply(response);
        var check = Guid.TryParse(instanceId, out var id) ? signer.Check(id, expires, sig, clock.GetUtcNow()) : LinkCheck.Invalid;
        if (check == LinkCheck.Expired)
            return Refused(StatusCodes.Status403Forbidden, "Link expired", "This dashboard link has expired.",
                "Fetch the service instance again (cf service NAME, or GET /v2/service_instances/:id): its dashboard_url is a fresh link.");
        if (check != LinkCheck.Valid)
            return Refused(StatusCodes.Status403Forbidden, "Link not valid", "This dashboard link is not valid: it was altered, cut short or not made by this broker.",
                "Fetch the service instance again (cf service NAME, or GET /v2/service_instances/:id) and open its dashboard_url as given.");
        if (await history.AsOf(id, null, null, ct) is not { } instance)
            return Refused(StatusCodes.Status404NotFound, "Instance not found", $"Service instance {id} has no record at this broker.",
                "It may not have been created yet; try again in a moment.");
        var service = catalog.FindService(instance.ServiceId);
        var plan = catalog.FindPlan(instance.ServiceId, instance.PlanId);
        var children = instance.Shape == InstanceShape.Cluster
            ? (await clusters.ChildrenOf(id, ct)).Select(child => new ChildRow(child,
                catalog.FindPlan(instance.ServiceId, child.PlanId)?.Name ?? child.PlanId, links.PathFor(child.InstanceId))).ToList()
            : null;
        var cluster = instance is { Shape: InstanceShape.ClusterDatabase, ClusterId: { } clusterId } ? await history.AsOf(clusterId, null, null, ct) : null;
        var endpoint = instance.Server ?? (instance.Database is not null ? cluster?.Server : null);
        var resourceUri = catalog.ProvisionerOf(instance.ServiceId)?.ResourceUriOf(id, endpoint?.Host, endpoint?.Port, instance.Database);
        var model = new InstancePageModel(
            instance, service?.Name ?? instance.ServiceId, plan?.Name ?? instance.PlanId, await history.Events(id, ct), children, cluster,
            resourceUri);
        return new RazorComponentResult<InstanceView>(new Dictionary<string, object?> { [nameof(InstanceView.Model)] = model });
    }

    private static async Task<IResult> Overview(
        string? service, string? plan, string? state, string? org, string? space, string? page, string? size, HttpResponse response,
        InstanceDirectory directory, ServiceCatalog catalog, DashboardLinks links, FleetStore fleet, CancellationToken ct)
    {
        PageHeaders.Apply(response);
        var filter = new InstanceFilter(Given(service), Given(plan), Given(state), Given(org), Given(space));
        var pageNumber = int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p >= 1 ? p : 1;
        var pageSize = int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s is >= 1 and <= MaximumPageSize ? s : DefaultPageSize;
        var found = await directory.Page(filter, (int)Math.Min(int.MaxValue, (long)(pageNumber - 1) * pageSize), pageSize, ct);
        var rows = found.Instances.Select(i => new OverviewRow(i,
            catalog.FindService(i.ServiceId)?.Name ?? i.ServiceId,
            catalog.FindPlan(i.ServiceId, i.PlanId)?.Name ?? i.PlanId,
            links.PathFor(i.InstanceId))).ToList();
        var runs = await fleet.Load(ct);
        var model = new OverviewModel(filter, pageNumber, pageSize, found.Total, rows, catalog.Services, runs.Active ?? runs.Runs.LastOrDefault());
        return new RazorComponentResult<OverviewView>(new Dictionary<string, object?> { [nameof(OverviewView.Model)] = model });
    }

    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static RazorComponentResult<RefusedView> Refused(int status, string title, string message, string advice) =>
        new(new Dictionary<string, object?>
        {
            [nameof(RefusedView.Title)] = title, [nameof(RefusedView.Message)] = message, [nameof(RefusedView.Advice)] = advice,
        }) { StatusCode = status };

    private static readonly Lazy<byte[]> Stylesheet = new(() =>
    {
        using var resource = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("dashboard.css")
            ?? throw new InvalidOperationException("The dashboard stylesheet is not embedded in the broker.");
        using var bytes = new MemoryStream();
        resource.CopyTo(bytes);
        return bytes.ToArray();
    });
}
