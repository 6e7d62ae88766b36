using EventSourced.Commands.EventStore;

namespace EventSourced.ServiceManager.Brokers;

/// <summary>A broker was registered with the catalog fetched from it; its password is stored encrypted (SecretProtector).</summary>
public sealed record BrokerRegistered(
    string Id, string Name, string? Description, string Url, string Username, string EncryptedPassword, string Catalog,
    Dictionary<string, string[]> Labels, DateTimeOffset At) : IDomainEvent;

/// <summary>A broker's registration as it is after a PATCH, with its catalog fetched again.</summary>
public sealed record BrokerUpdated(
    string Name, string? Description, string Url, string Username, string EncryptedPassword, string Catalog,
    Dictionary<string, string[]> Labels, DateTimeOffset At) : IDomainEvent;

public sealed record BrokerDeleted(DateTimeOffset At) : IDomainEvent;
