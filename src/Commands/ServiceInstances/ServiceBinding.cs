using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace EventSourced.Commands.ServiceInstances;

public enum BindingStatus { Creating, Created, Failed, Deleting, Deleted }

/// <summary>A binding: a login role of its own on the instance's server; the password is only ever kept encrypted.</summary>
public sealed record ServiceBinding(
    Guid Id,
    BindingStatus Status,
    string? AppGuid,
    string? Parameters,
    Guid? PredecessorBindingId,
    ImmutableList<Operation> Operations,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt = null,
    string? Username = null,
    string? EncryptedPassword = null)
{
    [JsonIgnore]
    public Operation LastOperation => Operations[^1];

    [JsonIgnore]
    public bool Exists => Status is not BindingStatus.Deleted;
}
