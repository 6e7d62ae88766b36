using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EventSourced.Commands.Secrets;

namespace EventSourced.Broker.Dashboard;

/// <summary>
/// Signs and checks dashboard links: HMAC-SHA256 over the instance id and the expiry (unix seconds), base64url. A link
/// opens only the page of the instance it was signed for, and only until it expires; the signature is compared in
/// constant time, so timing tells a forger nothing about how close a guess was.
/// </summary>
public sealed class DashboardLinkSigner
{
    /// <summary>The HKDF purpose of the key derived from <c>Secrets:Key</c> when no signing key is configured.</summary>
    public const string KeyPurpose = "dashboard-links";

    private readonly byte[] _key;

    public DashboardLinkSigner(byte[] key)
    {
        if (key.Length < DashboardOptions.MinimumSigningKeyLength)
            throw new ArgumentException($"A dashboard signing key must have at least {DashboardOptions.MinimumSigningKeyLength} bytes.", nameof(key));
        _key = key;
    }

    /// <summary>The configured <c>Dashboard:SigningKey</c>, else a key derived from the secret key.</summary>
    public static DashboardLinkSigner From(DashboardOptions options, SecretProtector secrets) =>
        new(string.IsNullOrEmpty(options.SigningKey) ? secrets.DeriveKey(KeyPurpose) : Encoding.UTF8.GetBytes(options.SigningKey));

    public string Sign(Guid instanceId, long expiresAt)
    {
        var message = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{instanceId:D}|{expiresAt}"));
        return Base64Url.EncodeToString(HMACSHA256.HashData(_key, message));
    }

    /// <summary>
    /// <see cref="LinkCheck.Valid"/> only for a signature of this key over exactly this instance and expiry, before the
    /// expiry (a link is refused from its expiry second on). A malformed expiry or signature is <see cref="LinkCheck.Invalid"/>.
    /// </summary>
    public LinkCheck Check(Guid instanceId, string? expires, string? signature, DateTimeOffset now)
    {
        if (expires is null || signature is null
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresAt)
            || expiresAt.ToString(CultureInfo.InvariantCulture) != expires)
            return LinkCheck.Invalid;
        var expected = Encoding.ASCII.GetBytes(Sign(instanceId, expiresAt));
        var given = Encoding.UTF8.GetBytes(signature);
        if (!CryptographicOperations.FixedTimeEquals(expected, given)) return LinkCheck.Invalid;
        return now.ToUnixTimeSeconds() < expiresAt ? LinkCheck.Valid : LinkCheck.Expired;
    }
}
