namespace EventSourced.Provisioners.Backends;

/// <summary>Where the admin role connects; its password is the caller's and is never stored by a backend.</summary>
public sealed record DatabaseAccess(string Database, string Username);

public interface IDatabaseBackend
{
    /// <summary>Creates the database and an admin LOGIN role owning it; idempotent: an existing role gets the given password.</summary>
    Task<DatabaseAccess> Provision(Guid instanceId, string database, string adminUsername, string adminPassword, CancellationToken ct);

    /// <summary>Drops the database (WITH FORCE) and the role; idempotent, and fine when the server is already gone.</summary>
    Task Deprovision(Guid instanceId, string database, string adminUsername, CancellationToken ct);
}
