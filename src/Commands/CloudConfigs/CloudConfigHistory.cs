using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.CloudConfigs;

/// <summary>An upload, already validated as a cloud config by the caller (the YAML's own rules live in Deployments).</summary>
/// <param name="ExpectedVersion">The version the operator edited (HTTP If-Match); null: whatever is current.</param>
public sealed record UpdateCloudConfig(Guid UpdateId, string Yaml, int? ExpectedVersion, string UpdatedBy, DateTimeOffset Now);

/// <summary>Every version of the cloud config, folded from the one stream <see cref="StreamId"/>.</summary>
public sealed record CloudConfigHistory(ImmutableList<CloudConfigUpdated> Versions)
{
    public const string StreamId = "cloud-config";

    public static readonly CloudConfigHistory Empty = new(ImmutableList<CloudConfigUpdated>.Empty);

    public CloudConfigUpdated? Current => Versions.IsEmpty ? null : Versions[^1];

    public CloudConfigUpdated? Version(int version) => Versions.FirstOrDefault(v => v.Version == version);

    public static CloudConfigHistory Fold(IEnumerable<IDomainEvent> events) => events.Aggregate(Empty, Evolve);

    public static CloudConfigHistory Evolve(CloudConfigHistory state, IDomainEvent @event) => @event switch
    {
        CloudConfigUpdated e => state with { Versions = state.Versions.Add(e) },
        _ => state,
    };

    public static string Sha256Of(string yaml) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml)));

    /// <summary>
    /// A new version, unless the upload is the current text (nothing to record) or was edited from a version that is no
    /// longer current (another operator's upload came first: refused, so neither silently undoes the other).
    /// </summary>
    public static Decision Decide(CloudConfigHistory state, UpdateCloudConfig command)
    {
        var current = state.Current?.Version ?? 0;
        if (command.ExpectedVersion is { } expected && expected != current)
            return Decision.Reject(DomainErrorCode.Conflict,
                $"The cloud config is at version {current}, not {expected}: read it again and apply your change to that version.");
        var sha = Sha256Of(command.Yaml);
        if (state.Current?.Sha256 == sha) return new Decision.AlreadyDone();
        return new Decision.Accepted(command.UpdateId, [new CloudConfigUpdated(current + 1, command.Yaml, sha, command.UpdatedBy, command.Now)]);
    }
}
