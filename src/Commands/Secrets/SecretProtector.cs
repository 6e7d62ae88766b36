using System.Security.Cryptography;
using System.Text;

namespace EventSourced.Commands.Secrets;

/// <summary>
/// Encrypts secrets (generated passwords) with AES-256-GCM under the configured key before they are stored anywhere:
/// events, read models and logs only ever hold the ciphertext <c>v1:base64(nonce | tag | ciphertext)</c>.
/// </summary>
public sealed class SecretProtector
{
    private const string Prefix = "v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public SecretProtector(string base64Key)
    {
        _key = TryDecode(base64Key) is { Length: 32 } key
            ? key
            : throw new ArgumentException("Secrets:Key must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`).");
    }

    public string Protect(string plaintext)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var sealedBox = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedBox.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, sealedBox.AsSpan(NonceSize + TagSize), sealedBox.AsSpan(NonceSize, TagSize));
        return Prefix + Convert.ToBase64String(sealedBox);
    }

    public string Unprotect(string protectedText)
    {
        if (!protectedText.StartsWith(Prefix, StringComparison.Ordinal))
            throw new CryptographicException("Not a protected secret.");
        var sealedBox = Convert.FromBase64String(protectedText[Prefix.Length..]);
        var plain = new byte[sealedBox.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(sealedBox.AsSpan(0, NonceSize), sealedBox.AsSpan(NonceSize + TagSize), sealedBox.AsSpan(NonceSize, TagSize), plain);
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>A password of URL- and connection-string-safe characters.</summary>
    public static string GeneratePassword(int length = 32) =>
        RandomNumberGenerator.GetString(PasswordAlphabet, length);

    private const string PasswordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    /// <summary>
    /// The password of one purpose (e.g. one step of one operation), derived from the key: a step that runs twice (a re-sent
    /// command, a step run on two nodes at once) sets the same password both times, so whichever run the log records, the
    /// server agrees with it.
    /// </summary>
    public string DerivePassword(string purpose, int length = 32)
    {
        var bytes = HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, length, info: Encoding.UTF8.GetBytes("password:" + purpose));
        return string.Create(length, bytes, (chars, b) =>
        {
            for (var i = 0; i < chars.Length; i++) chars[i] = PasswordAlphabet[b[i] % PasswordAlphabet.Length];
        });
    }

    /// <summary>
    /// A key of one purpose (e.g. signing dashboard links), derived from the secret key with HKDF: one configured secret
    /// serves every purpose, and a key given out for one (a signature) tells nothing about the others or the passwords.
    /// </summary>
    public byte[] DeriveKey(string purpose, int length = 32) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, length, info: Encoding.UTF8.GetBytes("key:" + purpose));

    private static byte[]? TryDecode(string value)
    {
        try { return Convert.FromBase64String(value); }
        catch (FormatException) { return null; }
    }
}
