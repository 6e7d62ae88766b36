using System.Text.Json.Nodes;

namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// Which garbage collector the broker under test runs: its runtimeconfig.json's <c>System.GC.Server</c> (the Web SDK
/// sets it), unless the bench's environment overrides it for the broker it starts (<c>DOTNET_gcServer</c>, which wins),
/// and any other <c>DOTNET_GC*</c> setting passed along.
/// </summary>
public static class GcMode
{
    public static string OfBroker()
    {
        var config = Path.Combine(Settings.RepositoryRoot(), "src", "Broker", "bin", "Release", "net10.0", "EventSourced.Broker.runtimeconfig.json");
        var server = Environment.GetEnvironmentVariable("DOTNET_gcServer") is { } variable
            ? variable.Trim() is "1" ? "server (DOTNET_gcServer=1)" : $"workstation (DOTNET_gcServer={variable})"
            : File.Exists(config) && JsonNode.Parse(File.ReadAllText(config))?["runtimeOptions"]?["configProperties"]?["System.GC.Server"]?.GetValue<bool>() == true
                ? "server (System.GC.Server in the broker's runtimeconfig.json)"
                : "workstation";
        var others = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase) && !k.Equals("DOTNET_gcServer", StringComparison.OrdinalIgnoreCase))
            .Order().Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}").ToList();
        return others.Count == 0 ? server : $"{server}; {string.Join(", ", others)}";
    }
}
