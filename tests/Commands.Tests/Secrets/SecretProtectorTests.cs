using System.Security.Cryptography;
using EventSourced.Commands.Secrets;

namespace EventSourced.Commands.Tests.Secrets;

public sealed class SecretProtectorTests
{
    private static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void Protect_RoundTrips_WithoutThePlaintextInTheCiphertext()
    {
        var protector = new SecretProtector(Key);
        var password = SecretProtector.GeneratePassword();
        var sealedText = protector.Protect(password);
        Assert.DoesNotContain(password, sealedText);
        Assert.Equal(password, protector.Unprotect(sealedText));
    }

    [Fact]
    public void Unprotect_WithAnotherKey_Fails()
    {
        var sealedText = new SecretProtector(Key).Protect("secret");
        var other = new SecretProtector(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        Assert.ThrowsAny<CryptographicException>(() => other.Unprotect(sealedText));
    }

    [Fact]
    public void Constructor_WithAShortKey_ExplainsWhatIsExpected()
    {
        var error = Assert.Throws<ArgumentException>(() => new SecretProtector(Convert.ToBase64String(new byte[16])));
        Assert.Contains("32 bytes", error.Message);
    }
}
