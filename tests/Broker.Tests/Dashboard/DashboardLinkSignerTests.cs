using System.Security.Cryptography;
using System.Text.RegularExpressions;
using EventSourced.Broker.Dashboard;
using EventSourced.Broker.Hosting;
using EventSourced.Commands.Secrets;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Tests.Dashboard;

/// <summary>Dashboard links open only the instance they were signed for, only until they expire, and only as signed.</summary>
public sealed class DashboardLinkSignerTests
{
    private static readonly Guid Instance = Guid.Parse("6c3e2f0a-5b1d-4a8e-9f27-3d4c5b6a7e81");
    private const long ExpiresAt = 1_800_000_000;
    private static readonly DateTimeOffset Before = DateTimeOffset.FromUnixTimeSeconds(ExpiresAt - 1);

    private readonly DashboardLinkSigner _signer = new(RandomNumberGenerator.GetBytes(32));

    private string Signature => _signer.Sign(Instance, ExpiresAt);

    [Fact]
    public void Check_AsSigned_IsValid() =>
        Assert.Equal(LinkCheck.Valid, _signer.Check(Instance, $"{ExpiresAt}", Signature, Before));

    [Fact]
    public void Check_AnotherInstance_IsInvalid() =>
        Assert.Equal(LinkCheck.Invalid, _signer.Check(Guid.NewGuid(), $"{ExpiresAt}", Signature, Before));

    [Theory]
    [InlineData("1800000001")]   // a later expiry: the link made to last longer
    [InlineData("1799999999")]
    [InlineData("01800000000")]  // the same number spelled otherwise
    [InlineData("+1800000000")]
    [InlineData(" 1800000000")]
    [InlineData("")]
    [InlineData("never")]
    [InlineData(null)]
    public void Check_AlteredExpiry_IsInvalid(string? expires) =>
        Assert.Equal(LinkCheck.Invalid, _signer.Check(Instance, expires, Signature, Before));

    [Fact]
    public void Check_AnyCharacterOfTheSignatureChanged_IsInvalid()
    {
        var signature = Signature;
        for (var i = 0; i < signature.Length; i++)
        {
            var altered = signature[..i] + (signature[i] == 'A' ? 'B' : 'A') + signature[(i + 1)..];
            Assert.Equal(LinkCheck.Invalid, _signer.Check(Instance, $"{ExpiresAt}", altered, Before));
        }
    }

    [Fact]
    public void Check_SignatureCutOrExtendedOrMissing_IsInvalid()
    {
        Assert.Equal(LinkCheck.Invalid, _signer.Check(Instance, $"{ExpiresAt}", Signature[..^1], Before));
        Assert.Equal(LinkCheck.Invalid, _signer.Check(Instance, $"{ExpiresAt}", Signature + "A", Before));
        Assert.Equal(LinkCheck.Invalid, _signer.Check(Instance, $"{ExpiresAt}", "", Before));
        Assert.Equal(LinkCheck.Invalid, _signer.Check(Instance, $"{ExpiresAt}", null, Before));
    }

    [Fact]
    public void Check_SignedWithAnotherKey_IsInvalid()
    {
        var forger = new DashboardLinkSigner(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(LinkCheck.Invalid, _signer.Check(Instance, $"{ExpiresAt}", forger.Sign(Instance, ExpiresAt), Before));
    }

    [Fact]
    public void Check_ExpiryBoundary_ValidUntilTheSecondBeforeExpiredFromItsExpiry()
    {
        Assert.Equal(LinkCheck.Valid, _signer.Check(Instance, $"{ExpiresAt}", Signature, DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt * 1000 - 1)));
        Assert.Equal(LinkCheck.Expired, _signer.Check(Instance, $"{ExpiresAt}", Signature, DateTimeOffset.FromUnixTimeSeconds(ExpiresAt)));
        Assert.Equal(LinkCheck.Expired, _signer.Check(Instance, $"{ExpiresAt}", Signature, DateTimeOffset.FromUnixTimeSeconds(ExpiresAt + 86_400)));
    }

    [Fact]
    public void Check_AnExpiredLinkAltered_IsInvalidNotExpired() =>
        Assert.Equal(LinkCheck.Invalid, _signer.Check(Instance, $"{ExpiresAt}", Signature[..^1] + "x", DateTimeOffset.FromUnixTimeSeconds(ExpiresAt + 1)));

    [Fact]
    public void From_WithoutSigningKey_DerivesItFromTheSecretKey()
    {
        var secretKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var one = DashboardLinkSigner.From(new DashboardOptions(), new SecretProtector(secretKey));
        var again = DashboardLinkSigner.From(new DashboardOptions { SigningKey = "" }, new SecretProtector(secretKey));
        var otherSecret = DashboardLinkSigner.From(new DashboardOptions(), new SecretProtector(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));

        Assert.Equal(one.Sign(Instance, ExpiresAt), again.Sign(Instance, ExpiresAt));
        Assert.NotEqual(one.Sign(Instance, ExpiresAt), otherSecret.Sign(Instance, ExpiresAt));
    }

    [Fact]
    public void From_WithSigningKey_UsesIt()
    {
        var secrets = new SecretProtector(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var configured = DashboardLinkSigner.From(new DashboardOptions { SigningKey = new string('k', 32) }, secrets);

        Assert.Equal(new DashboardLinkSigner(new byte[32].Select(_ => (byte)'k').ToArray()).Sign(Instance, ExpiresAt), configured.Sign(Instance, ExpiresAt));
        Assert.NotEqual(DashboardLinkSigner.From(new DashboardOptions(), secrets).Sign(Instance, ExpiresAt), configured.Sign(Instance, ExpiresAt));
    }

    [Fact]
    public void Constructor_ShortKey_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new DashboardLinkSigner(new byte[31]));

    [Fact]
    public void For_SignsTheInstancePageUntilNowPlusTheLifetime()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000);
        var links = new DashboardLinks(Options.Create(new BrokerOptions { PublicUrl = "https://broker.example/" }),
            Options.Create(new DashboardOptions { LinkLifetime = TimeSpan.FromDays(30) }), _signer, new FixedClock(now));

        var link = links.For(Instance);

        var match = Regex.Match(link, @"^https://broker\.example/dashboard/instances/([0-9a-f-]{36})\?expires=(\d+)&sig=([A-Za-z0-9_-]+)$");
        Assert.True(match.Success, link);
        Assert.Equal(Instance, Guid.Parse(match.Groups[1].Value));
        Assert.Equal(now.AddDays(30).ToUnixTimeSeconds(), long.Parse(match.Groups[2].Value));
        Assert.Equal(LinkCheck.Valid, _signer.Check(Instance, match.Groups[2].Value, match.Groups[3].Value, now));
        Assert.Equal(LinkCheck.Expired, _signer.Check(Instance, match.Groups[2].Value, match.Groups[3].Value, now.AddDays(30)));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
