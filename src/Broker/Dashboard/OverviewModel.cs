using EventSourced.Commands.Catalog;
using EventSourced.Commands.Fleet;
using EventSourced.Projections.ServiceInstances;

namespace EventSourced.Broker.Dashboard;

/// <summary>
/// One page of the operators' overview: the filters as asked, the rows found, and how many there are in all; and the
/// fleet run in progress (else the latest one), with each of its instances.
/// </summary>
public sealed record OverviewModel(
    InstanceFilter Filter, int Page, int Size, long Total, IReadOnlyList<OverviewRow> Rows, IReadOnlyList<ServiceOffering> Services,
    FleetRun? Fleet = null)
{
    /// <summary>While a fleet run is in progress the page reloads itself (no script): its progress stays live.</summary>
    public int? RefreshSeconds => Fleet is { Finished: false } ? 5 : null;

    public long Pages => Math.Max(1, (Total + Size - 1) / Size);

    /// <summary>The overview's address with these filters at another page (or size): paging keeps the filters.</summary>
    public string Link(int page) => DashboardEndpoints.OverviewPath + QueryString.Create(new Dictionary<string, string?>
    {
        ["service"] = Filter.ServiceId, ["plan"] = Filter.PlanId, ["state"] = Filter.Status,
        ["org"] = Filter.OrganizationGuid, ["space"] = Filter.SpaceGuid,
        ["page"] = page.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["size"] = Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }.Where(p => !string.IsNullOrEmpty(p.Value)));
}

/// <param name="Link">The instance page, with a link signed just now.</param>
public sealed record OverviewRow(InstanceSummary Instance, string ServiceName, string PlanName, string Link);
