using System.Text.Json;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Clusters;

namespace EventSourced.Broker.Clusters;

/// <summary>
/// The cluster a database's provisioning names in its parameters: <c>{"cluster": "&lt;id or name&gt;"}</c>, a name
/// looked up in the requesting organization and space, or in <c>cluster-org</c> / <c>cluster-space</c> (guids or names)
/// when given. Whether the cluster may take the database is decided on the cluster's stream, not here.
/// </summary>
public static class ClusterReference
{
    public const string ClusterParameter = "cluster";
    public const string OrgParameter = "cluster-org";
    public const string SpaceParameter = "cluster-space";

    /// <summary>The cluster's id, or why there is none: unknown, or a name that several clusters share there.</summary>
    public static async Task<(Guid? ClusterId, DomainError? Error)> Resolve(
        ClusterMembers members, ProvisionServiceInstance command, CancellationToken ct)
    {
        // The plan's schema has required a non-empty string "cluster" and optional strings for the other two.
        using var parameters = JsonDocument.Parse(command.Parameters ?? "{}");
        var reference = Text(parameters.RootElement, ClusterParameter)!;
        if (Guid.TryParse(reference, out var id)) return (id, null);
        var org = Text(parameters.RootElement, OrgParameter) ?? command.OrganizationGuid;
        var space = Text(parameters.RootElement, SpaceParameter) ?? command.SpaceGuid;
        var found = await members.FindClusters(reference, org, space, ct);
        return found switch
        {
            [var only] => (only.InstanceId, null),
            [] => (null, new DomainError(DomainErrorCode.Invalid,
                $"cluster service instance '{reference}' does not exist in organization {org} space {space}.")),
            _ => (null, new DomainError(DomainErrorCode.Invalid,
                $"cluster service instance name '{reference}' is ambiguous in organization {org} space {space} "
                + $"({string.Join(", ", found.Select(c => $"guid={c.InstanceId}"))}): name the cluster by its guid.")),
        };
    }

    private static string? Text(JsonElement parameters, string name) =>
        parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
