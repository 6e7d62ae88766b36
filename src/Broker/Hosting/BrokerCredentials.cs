using System.Security.Cryptography;

namespace EventSourced.Broker.Hosting;

/// <summary>Refuses to start without credentials, except in Development where it makes up a pair and says so.</summary>
internal static class BrokerCredentials
{
    public static void Require(WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(BrokerOptions.Section);
        if (!string.IsNullOrEmpty(section["Username"]) && !string.IsNullOrEmpty(section["Password"])) return;
        if (!builder.Environment.IsDevelopment())
            throw new InvalidOperationException(
                "Broker credentials are not configured: set Broker__Username and Broker__Password (HTTP basic auth for platforms).");
        var password = RandomNumberGenerator.GetHexString(24, lowercase: true);
        builder.Configuration["Broker:Username"] = "broker";
        builder.Configuration["Broker:Password"] = password;
        Console.WriteLine($"Development credentials generated for this run: broker / {password}");
    }
}
