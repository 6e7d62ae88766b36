namespace EventSourced.Provisioners.Backends;

/// <summary>
/// A server that apps bind to directly, with no database step (Redis): each binding is a user of the server itself. The
/// instance implementation of a provisioner without a database implements it for its plans to be bindable.
/// </summary>
public interface IServerLogins
{
    /// <summary>A user that may log in with <paramref name="password"/>; idempotent: an existing user gets the password reset.</summary>
    Task CreateLogin(Guid instanceId, string username, string password, DateTimeOffset? validUntil, CancellationToken ct);

    /// <summary>Removes the user and ends its connections; idempotent: an absent user or a server already gone is fine.</summary>
    Task DropLogin(Guid instanceId, string username, CancellationToken ct);
}
