using System.Text;

namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// The bare-Kestrel baseline (run as its own process, like the broker): last_operation's route answering a constant JSON
/// body of the same size, no authentication, no database.
/// </summary>
public static class ConstantJsonServer
{
    public const string Command = "serve-constant";

    public static async Task<int> Run(int port, string body)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var bytes = Encoding.UTF8.GetBytes(body);
        app.MapGet("/health/ready", () => Results.Ok());
        app.MapGet("/v2/service_instances/{instanceId}/last_operation", () => Results.Bytes(bytes, "application/json"));
        await app.RunAsync();
        return 0;
    }

    public static Task<ServerProcess> Start(string body)
    {
        var port = ServerProcess.FreePort();
        var dll = typeof(ConstantJsonServer).Assembly.Location;
        return ServerProcess.Start(dll, [Command, port.ToString(), body], new Dictionary<string, string>(), port);
    }
}
