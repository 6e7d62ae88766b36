using System.Text.Json;
using EventSourced.Provisioners.Periodic;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backends.Local.Redis;

/// <summary>
/// A plan's <c>CredentialLifetime</c> for Redis bindings: Redis users have no expiry, so every
/// <see cref="LocalBackendOptions.RedisLoginExpiryInterval"/> the users whose lifetime ended are turned off
/// (<see cref="RedisServerBackend.ExpireLogins"/>).
/// </summary>
public sealed class RedisLoginExpiry(RedisServerBackend servers, IOptions<LocalBackendOptions> options, TimeProvider clock, ILogger<RedisLoginExpiry> log)
    : PeriodicPass(options.Value.RedisLoginExpiryInterval, clock, log, "Redis login expiry")
{
    public override Task Pass(CancellationToken ct) => servers.ExpireLogins(Clock.GetUtcNow(), ct);
}

/// <summary>
/// users-valid-until.json in an instance's redis/ folder: each binding user with a credential lifetime and until when it is
/// valid. Read and written under the instance's lock, replaced whole (a temporary file renamed into place).
/// </summary>
internal static class RedisLoginLifetimes
{
    public static async Task<Dictionary<string, DateTimeOffset>> Read(RedisFiles files, CancellationToken ct)
    {
        if (!File.Exists(files.LoginLifetimes)) return [];
        await using var stream = File.OpenRead(files.LoginLifetimes);
        return await JsonSerializer.DeserializeAsync<Dictionary<string, DateTimeOffset>>(stream, cancellationToken: ct) ?? [];
    }

    /// <summary>Records until when <paramref name="username"/> is valid; null forgets it (no lifetime, dropped or turned off).</summary>
    public static async Task Set(RedisFiles files, string username, DateTimeOffset? validUntil, CancellationToken ct)
    {
        var lifetimes = await Read(files, ct);
        if (validUntil is { } until) lifetimes[username] = until;
        else if (!lifetimes.Remove(username)) return;
        var temporary = $"{files.LoginLifetimes}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(lifetimes), ct);
        File.Move(temporary, files.LoginLifetimes, overwrite: true);
    }
}
