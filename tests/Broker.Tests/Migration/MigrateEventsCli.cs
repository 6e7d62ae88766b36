using System.Diagnostics;
using System.Security.Cryptography;
using EventSourced.Commands;
using EventSourced.Commands.EventStore;
using EventSourced.Projections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Broker.Tests.Migration;

/// <summary>`dotnet EventSourced.Broker.dll db migrate-events` as the operator runs it (Production, so AutoCreate None).</summary>
internal static class MigrateEventsCli
{
    public static readonly string SecretKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static async Task<(int ExitCode, string Output, string Error)> Run(string connectionString)
    {
        var broker = BrokerBinaries();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(broker, "EventSourced.Broker.dll"), "db", "migrate-events"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = broker,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Postgres"] = connectionString;
        start.Environment["Secrets__Key"] = SecretKey;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>The services the broker's operator commands use (OperatorCommands.WithServices), on the given database.</summary>
    public static ServiceProvider Services(string connectionString)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["Secrets:Key"] = SecretKey,
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddEventStore(configuration);
        services.AddCommands(configuration).AddReadModels();
        return services.BuildServiceProvider();
    }

    private static string BrokerBinaries()
    {
        var testBinaries = new DirectoryInfo(AppContext.BaseDirectory);
        var root = testBinaries;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "EventSourced.sln"))) root = root.Parent;
        var broker = Path.Combine(root!.FullName, "src", "Broker", "bin", testBinaries.Parent!.Name, "net10.0");
        return File.Exists(Path.Combine(broker, "EventSourced.Broker.dll"))
            ? broker
            : throw new InvalidOperationException($"The broker is not built at {broker}");
    }
}
