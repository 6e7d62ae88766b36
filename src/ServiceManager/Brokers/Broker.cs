using System.Text.Json.Nodes;
using EventSourced.Commands.EventStore;
using EventSourced.ServiceManager.Resources;
using Marten;

namespace EventSourced.ServiceManager.Brokers;

/// <summary>A registered broker as its stream has it, and the rows it shows: itself, its offerings and plans.</summary>
public sealed record Broker(
    string Id, bool Exists, string Name, string? Description, string Url, string Username, string EncryptedPassword, string Catalog,
    Dictionary<string, string[]> Labels, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlySet<string> OfferingsEverShown,
    IReadOnlySet<string> PlansEverShown) : IStreamKind<Broker>
{
    public static string StreamKey(string id) => $"sm-broker-{id}";

    public static readonly Broker None = new("", false, "", null, "", "", "", "{}", Resources.Labels.Empty(), default, default,
        new HashSet<string>(), new HashSet<string>());

    public static Broker Fold(IEnumerable<IDomainEvent> events) => events.Aggregate(None, Evolve);

    public static Broker Evolve(Broker state, IDomainEvent e) => e switch
    {
        BrokerRegistered r => Shown(new Broker(r.Id, true, r.Name, r.Description, r.Url, r.Username, r.EncryptedPassword, r.Catalog, r.Labels,
            r.At, r.At, state.OfferingsEverShown, state.PlansEverShown)),
        BrokerUpdated u => Shown(state with
        {
            Name = u.Name, Description = u.Description, Url = u.Url, Username = u.Username, EncryptedPassword = u.EncryptedPassword,
            Catalog = u.Catalog, Labels = u.Labels, UpdatedAt = u.At,
        }),
        BrokerDeleted d => state with { Exists = false, UpdatedAt = d.At },
        _ => state,
    };

    private static Broker Shown(Broker state)
    {
        var catalog = BrokerCatalog.Of(state.Id, state.Catalog);
        return state with
        {
            OfferingsEverShown = state.OfferingsEverShown.Union(catalog.Offerings.Select(o => o.Id)).ToHashSet(),
            PlansEverShown = state.PlansEverShown.Union(catalog.Plans.Select(p => p.Id)).ToHashSet(),
        };
    }

    public static void Project(Broker state, IDocumentSession session)
    {
        var catalog = state.Exists ? BrokerCatalog.Of(state.Id, state.Catalog) : BrokerCatalog.Empty;
        foreach (var gone in state.OfferingsEverShown.Except(catalog.Offerings.Select(o => o.Id)))
            session.Delete<ResourceView>(ResourceView.Key(ResourceTypes.Offerings, gone));
        foreach (var gone in state.PlansEverShown.Except(catalog.Plans.Select(p => p.Id)))
            session.Delete<ResourceView>(ResourceView.Key(ResourceTypes.Plans, gone));
        if (!state.Exists)
        {
            session.Delete<ResourceView>(ResourceView.Key(ResourceTypes.Brokers, state.Id));
            return;
        }
        session.Store(new ResourceView
        {
            Id = ResourceView.Key(ResourceTypes.Brokers, state.Id), Type = ResourceTypes.Brokers, ResourceId = state.Id, Name = state.Name,
            CreatedAt = state.CreatedAt, Json = state.ToJson().ToJsonString(),
        });
        foreach (var offering in catalog.Offerings)
            session.Store(new ResourceView
            {
                Id = ResourceView.Key(ResourceTypes.Offerings, offering.Id), Type = ResourceTypes.Offerings, ResourceId = offering.Id,
                BrokerId = state.Id, CreatedAt = state.CreatedAt, Json = offering.ToJson(state).ToJsonString(),
            });
        foreach (var plan in catalog.Plans)
            session.Store(new ResourceView
            {
                Id = ResourceView.Key(ResourceTypes.Plans, plan.Id), Type = ResourceTypes.Plans, ResourceId = plan.Id, BrokerId = state.Id,
                CreatedAt = state.CreatedAt, Json = plan.ToJson(state).ToJsonString(),
            });
    }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["name"] = Name,
        ["description"] = Description,
        ["broker_url"] = Url,
        ["created_at"] = Listing.Time(CreatedAt),
        ["updated_at"] = Listing.Time(UpdatedAt),
        ["labels"] = Resources.Labels.ToJson(Labels),
        ["ready"] = true,
    };
}
