using System.Diagnostics;

namespace EventSourced.Broker.Tests.Ops;

/// <summary>The broker's CLI as an operator runs it: the built DLL as its own process, its settings from the environment.</summary>
public static class Cli
{
    public sealed record Run(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    /// <summary>Runs <paramref name="args"/> against <paramref name="broker"/> with the ops credentials in Ops__Username / Ops__Password.</summary>
    public static async Task<Run> Against(BrokerProcess broker, BrokerEnvironment environment, params string[] args) =>
        await Start(new Dictionary<string, string>
        {
            ["Ops__Url"] = broker.BaseAddress.ToString(), ["Ops__Username"] = environment.OpsUsername, ["Ops__Password"] = environment.OpsPassword,
        }, args);

    public static async Task<Run> Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var binaries = BrokerProcess.Binaries();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(binaries, "EventSourced.Broker.dll"), .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = binaries,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the CLI {string.Join(' ', args)} did not end within 120 s:\n{await output}\n{await error}");
        }
        return new Run(process.ExitCode, await output, await error);
    }
}
