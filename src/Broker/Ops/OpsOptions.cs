using System.Security.Cryptography;
using EventSourced.Broker.Hosting;

namespace EventSourced.Broker.Ops;

/// <summary>
/// The ops API's own basic-auth credentials (section "Ops"), apart from the platforms' (<see cref="BrokerOptions"/>): an
/// operator's tools open <c>/api/v1</c> and nothing else, a platform opens <c>/v2</c> and nothing else.
/// </summary>
public sealed class OpsOptions
{
    public const string Section = "Ops";

    public string Username { get; set; } = "";
    public string Password { get; set; } = "";

    /// <summary>
    /// An api node refuses to start without the pair, or with the platforms' pair (one leaked password would open both
    /// APIs), except in Development where it makes a pair up and says so. Nodes without the api role serve no API.
    /// </summary>
    public static void Require(WebApplicationBuilder builder, BrokerRoles roles)
    {
        if (!roles.Api) return;
        var ops = builder.Configuration.GetSection(Section);
        var broker = builder.Configuration.GetSection(BrokerOptions.Section);
        if (!string.IsNullOrEmpty(ops["Username"]) && !string.IsNullOrEmpty(ops["Password"]))
        {
            if (ops["Username"] == broker["Username"] && ops["Password"] == broker["Password"])
                throw new InvalidOperationException(
                    "Ops__Username/Ops__Password are the platforms' Broker__Username/Broker__Password: give the ops API credentials of its own.");
            return;
        }
        if (!builder.Environment.IsDevelopment())
            throw new InvalidOperationException(
                "Ops credentials are not configured: set Ops__Username and Ops__Password (HTTP basic auth for the ops API, /api/v1).");
        var password = RandomNumberGenerator.GetHexString(24, lowercase: true);
        builder.Configuration["Ops:Username"] = "ops";
        builder.Configuration["Ops:Password"] = password;
        Console.WriteLine($"Development ops credentials generated for this run: ops / {password}");
    }
}
