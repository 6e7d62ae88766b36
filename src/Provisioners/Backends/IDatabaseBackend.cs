namespace EventSourced.Provisioners.Backends;

/// <summary>Where the admin role connects; its password is the caller's and is never stored by a backend.</summary>
public sealed record DatabaseAccess(string Database, string Username);

public interface IDatabaseBackend
{
    /// <summary>Creates the database and an admin LOGIN role owning it; idempotent: an existing role gets the given password.</summary>
    Task<DatabaseAccess> Provision(Guid instanceId, string database, string adminUsername, string adminPassword, CancellationToken ct);

    /// <summary>
    /// Drops the database (WITH FORCE), the logins granted on it and the role; idempotent. A server already gone is fine,
    /// unless <paramref name="serverStays"/> (a database in a cluster, whose server lives on): then a server that does not
    /// answer is a failure, or the database would be left behind on it.
    /// </summary>
    Task Deprovision(Guid instanceId, string database, string adminUsername, bool serverStays, CancellationToken ct);

    /// <summary>
    /// A binding's LOGIN role (valid until <paramref name="validUntil"/> when given) that may connect to the database,
    /// use and create in its public schema, and read and write the admin role's tables, present and future.
    /// Idempotent: an existing role gets the password and validity reset.
    /// </summary>
    Task CreateLogin(Guid instanceId, string database, string adminUsername, string username, string password,
        DateTimeOffset? validUntil, CancellationToken ct);

    /// <summary>
    /// Ends the role's sessions, hands what it owns in the database to the admin role and drops it. Idempotent: an absent
    /// role or a server already gone is fine.
    /// </summary>
    Task DropLogin(Guid instanceId, string database, string adminUsername, string username, CancellationToken ct);

    /// <summary>
    /// Makes the database's extensions those asked for: creates each of <paramref name="enable"/> that is missing (with the
    /// extensions it requires) and drops each of <paramref name="disable"/>, all in one transaction, so a refused drop
    /// (another object still uses the extension) changes nothing. Idempotent. A backend whose databases have no
    /// extensions (the simulated one) has nothing to do.
    /// </summary>
    /// <param name="migration">SQL run last in the same transaction (a release's data migration): when it fails, nothing changed.</param>
    Task ApplyExtensions(Guid instanceId, string database, IReadOnlyCollection<string> enable, IReadOnlyCollection<string> disable,
        CancellationToken ct, string? migration = null) => Task.CompletedTask;
}
