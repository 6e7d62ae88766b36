using System.Text.Json.Nodes;
using EventSourced.Commands.EventStore;
using EventSourced.ServiceManager.Resources;
using Marten;

namespace EventSourced.ServiceManager.Visibilities;

public sealed record VisibilityCreated(string Id, string? PlatformId, string ServicePlanId, Dictionary<string, string[]> Labels, DateTimeOffset At) : IDomainEvent;

public sealed record VisibilityUpdated(string? PlatformId, string ServicePlanId, Dictionary<string, string[]> Labels, DateTimeOffset At) : IDomainEvent;

public sealed record VisibilityDeleted(DateTimeOffset At) : IDomainEvent;

/// <summary>
/// Which platform (or, without one, every platform) sees which plan; labels narrow it further: a visibility labelled
/// <c>organization_guid: [a, b]</c> lets the platform provision the plan only in a context whose organization_guid is a or b.
/// </summary>
public sealed record Visibility(
    string Id, bool Exists, string? PlatformId, string ServicePlanId, Dictionary<string, string[]> Labels, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    : IStreamKind<Visibility>
{
    public static string StreamKey(string id) => $"sm-visibility-{id}";

    public static readonly Visibility None = new("", false, null, "", Resources.Labels.Empty(), default, default);

    public static Visibility Fold(IEnumerable<IDomainEvent> events) => events.Aggregate(None, (state, e) => e switch
    {
        VisibilityCreated c => new Visibility(c.Id, true, c.PlatformId, c.ServicePlanId, c.Labels, c.At, c.At),
        VisibilityUpdated u => state with { PlatformId = u.PlatformId, ServicePlanId = u.ServicePlanId, Labels = u.Labels, UpdatedAt = u.At },
        VisibilityDeleted d => state with { Exists = false, UpdatedAt = d.At },
        _ => state,
    });

    public static void Project(Visibility state, IDocumentSession session)
    {
        if (!state.Exists)
        {
            session.Delete<ResourceView>(ResourceView.Key(ResourceTypes.Visibilities, state.Id));
            return;
        }
        session.Store(new ResourceView
        {
            Id = ResourceView.Key(ResourceTypes.Visibilities, state.Id), Type = ResourceTypes.Visibilities, ResourceId = state.Id,
            PlatformId = state.PlatformId, ServicePlanId = state.ServicePlanId, CreatedAt = state.CreatedAt, Json = state.ToJson().ToJsonString(),
        });
    }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["platform_id"] = PlatformId,
        ["service_plan_id"] = ServicePlanId,
        ["created_at"] = Listing.Time(CreatedAt),
        ["updated_at"] = Listing.Time(UpdatedAt),
        ["labels"] = Resources.Labels.ToJson(Labels),
        ["ready"] = true,
    };
}
