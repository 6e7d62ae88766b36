using System.Text.Json.Nodes;
using EventSourced.Commands.EventStore;
using EventSourced.ServiceManager.Resources;
using Marten;

namespace EventSourced.ServiceManager.Platforms;

/// <summary>A registered platform as its stream has it; it shows itself and its login (user name → hash).</summary>
public sealed record Platform(
    string Id, bool Exists, string Name, string Type, string? Description, string Username, string PasswordHash, string Salt,
    IReadOnlyList<string> FormerUsernames, Dictionary<string, string[]> Labels, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    : IStreamKind<Platform>
{
    public static string StreamKey(string id) => $"sm-platform-{id}";

    public static readonly Platform None = new("", false, "", "", null, "", "", "", [], Resources.Labels.Empty(), default, default);

    public static Platform Fold(IEnumerable<IDomainEvent> events) => events.Aggregate(None, Evolve);

    private static Platform Evolve(Platform state, IDomainEvent e) => e switch
    {
        PlatformRegistered r => new Platform(r.Id, true, r.Name, r.Type, r.Description, r.Username, r.PasswordHash, r.Salt,
            Former(state), r.Labels, r.At, r.At),
        PlatformUpdated u => state with { Name = u.Name, Type = u.Type, Description = u.Description, Labels = u.Labels, UpdatedAt = u.At },
        PlatformCredentialsRegenerated c => state with
        {
            FormerUsernames = Former(state), Username = c.Username, PasswordHash = c.PasswordHash, Salt = c.Salt, UpdatedAt = c.At,
        },
        PlatformDeleted d => state with { Exists = false, FormerUsernames = Former(state), Username = "", UpdatedAt = d.At },
        _ => state,
    };

    private static IReadOnlyList<string> Former(Platform state) =>
        state.Username.Length == 0 ? state.FormerUsernames : [.. state.FormerUsernames, state.Username];

    public static void Project(Platform state, IDocumentSession session)
    {
        foreach (var former in state.FormerUsernames) session.Delete<ResourceView>(ResourceView.Key(ResourceTypes.PlatformLogins, former));
        if (!state.Exists)
        {
            session.Delete<ResourceView>(ResourceView.Key(ResourceTypes.Platforms, state.Id));
            return;
        }
        session.Store(new ResourceView
        {
            Id = ResourceView.Key(ResourceTypes.Platforms, state.Id), Type = ResourceTypes.Platforms, ResourceId = state.Id, Name = state.Name,
            CreatedAt = state.CreatedAt, Json = state.ToJson().ToJsonString(),
        });
        session.Store(new ResourceView
        {
            Id = ResourceView.Key(ResourceTypes.PlatformLogins, state.Username), Type = ResourceTypes.PlatformLogins, ResourceId = state.Username,
            PlatformId = state.Id, CreatedAt = state.UpdatedAt,
            Json = new JsonObject { ["hash"] = state.PasswordHash, ["salt"] = state.Salt }.ToJsonString(),
        });
    }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["name"] = Name,
        ["type"] = Type,
        ["description"] = Description,
        ["created_at"] = Listing.Time(CreatedAt),
        ["updated_at"] = Listing.Time(UpdatedAt),
        ["labels"] = Resources.Labels.ToJson(Labels),
        ["ready"] = true,
    };
}
