using System.Diagnostics;

namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// What `./run` starts, started the same way: infra/up (PostgreSQL + RabbitMQ on loopback, idempotent), the settings of
/// infra/env.sh's export_settings taken into this process, and the broker's Release build.
/// </summary>
public static class LocalServers
{
    /// <param name="up">False (--no-infra): the servers are already running (shared by others); only their settings are taken.</param>
    public static async Task Start(bool up = true)
    {
        var root = Settings.RepositoryRoot();
        var env = await Run("bash", ["-c", $"set -e; source infra/env.sh; {(up ? "infra/up >&2; " : "")}export_settings; env"], root);
        foreach (var line in env.Split('\n'))
        {
            var (name, value) = (line.Split('=', 2)[0], line.Contains('=') ? line.Split('=', 2)[1] : "");
            if (name.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || name.StartsWith("RabbitMq__", StringComparison.Ordinal))
                Environment.SetEnvironmentVariable(name, value);
        }
        await Run("dotnet", ["build", "src/Broker/EventSourced.Broker.csproj", "-c", "Release", "-v", "quiet", "-nologo"], root);
    }

    private static async Task<string> Run(string file, IEnumerable<string> args, string cwd)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, WorkingDirectory = cwd };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}):\n{output}");
    }
}
