using EventSourced.Commands.EventStore;

namespace EventSourced.ServiceManager.Platforms;

/// <summary>A platform was registered; its OSB password exists only as a salted hash (the plaintext was shown once).</summary>
public sealed record PlatformRegistered(
    string Id, string Name, string Type, string? Description, string Username, string PasswordHash, string Salt,
    Dictionary<string, string[]> Labels, DateTimeOffset At) : IDomainEvent;

public sealed record PlatformUpdated(string Name, string Type, string? Description, Dictionary<string, string[]> Labels, DateTimeOffset At) : IDomainEvent;

/// <summary>New credentials replaced the old ones (which stop working with this event).</summary>
public sealed record PlatformCredentialsRegenerated(string Username, string PasswordHash, string Salt, DateTimeOffset At) : IDomainEvent;

public sealed record PlatformDeleted(DateTimeOffset At) : IDomainEvent;
