using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Commands.Secrets;
using EventSourced.ServiceManager.Resources;
using Marten;

namespace EventSourced.ServiceManager.Platforms;

/// <summary>
/// A platform's OSB credentials: generated (a random user name and a 32-character password), shown once, stored as
/// SHA-256 of a random salt and the password. One fast hash is enough here: the password is random with ~190 bits of
/// entropy, so there is nothing for a slow hash to protect against guessing, and every OSB call checks it.
/// </summary>
public sealed class PlatformCredentials(IDocumentStore store)
{
    public sealed record Generated(string Username, string Password, string Hash, string Salt);

    public static Generated Generate()
    {
        var password = SecretProtector.GeneratePassword(32);
        var salt = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        return new Generated($"platform-{RandomNumberGenerator.GetHexString(16, lowercase: true)}", password, Hash(salt, password), salt);
    }

    /// <summary>The platform's id when the user name and password are a registered platform's current credentials.</summary>
    public async Task<string?> Authenticate(string username, string password, CancellationToken ct)
    {
        if (username.Length > 100) return null;
        await using var session = store.QuerySession();
        var login = await session.LoadAsync<ResourceView>(ResourceView.Key(ResourceTypes.PlatformLogins, username), ct);
        if (login is null) return null;
        var stored = JsonNode.Parse(login.Json)!;
        var expected = Convert.FromBase64String(stored["hash"]!.GetValue<string>());
        var actual = Convert.FromBase64String(Hash(stored["salt"]!.GetValue<string>(), password));
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? login.PlatformId : null;
    }

    private static string Hash(string salt, string password) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(salt + ":" + password)));

    public static JsonObject Shown(Generated credentials) => new()
    {
        ["basic"] = new JsonObject { ["username"] = credentials.Username, ["password"] = credentials.Password },
    };
}
