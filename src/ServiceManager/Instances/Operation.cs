using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Resources;

namespace EventSourced.ServiceManager.Instances;

/// <summary>
/// Peripli's operation of an instance or binding: create, update or delete, and how it went. <see cref="Accepted"/>: the
/// broker answered 202 and runs it (the manager polls its last_operation); until then the call to the broker is in flight.
/// <see cref="Mitigation"/>: how the orphan mitigation after a failed creation is going (shown after the failure's reason).
/// </summary>
public sealed record Operation(
    string Id, string Type, string State, string? BrokerOperation, string? Description, DateTimeOffset Deadline, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, bool OrphanMitigationPending = false, bool Accepted = false, string? Mitigation = null)
{
    public const string InProgress = "in progress";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public bool Running => State == InProgress;

    public JsonObject ToJson(string resourceType, string resourceId, string platformId, DateTimeOffset now) => new()
    {
        ["id"] = Id,
        ["type"] = Type,
        ["state"] = State,
        ["description"] = Mitigation is null ? Description : $"{Description}; {Mitigation}",
        ["resource_id"] = resourceId,
        ["resource_type"] = $"/v1/{resourceType}",
        ["platform_id"] = platformId,
        ["correlation_id"] = Id,
        ["external_id"] = BrokerOperation,
        ["deadline"] = Listing.Time(Deadline),
        // Stuck: still running past its deadline, or a failed creation whose leftovers the broker has not confirmed gone yet.
        ["stuck"] = (Running && now > Deadline) || OrphanMitigationPending,
        ["orphan_mitigation"] = OrphanMitigationPending,
        ["created_at"] = Listing.Time(CreatedAt),
        ["updated_at"] = Listing.Time(UpdatedAt),
        ["ready"] = true,
        ["labels"] = new JsonObject(),
    };
}
