using System.Diagnostics;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// Runs a dump or restore tool (pg_dump, pg_restore, redis-cli) to its end: its output streamed into a file of ours, its
/// input from one, killed when it outlives the tool timeout (a hung tool must not hang its job), its stderr in the error.
/// </summary>
internal static class SnapshotTool
{
    /// <param name="tool">The tool's name, as errors name it.</param>
    /// <param name="runAsUser">The user it runs as (through runuser), or null: the broker's own.</param>
    /// <param name="environment">Variables added to its environment (a password, never on its command line).</param>
    public static async Task Run(
        string tool, string executable, IReadOnlyList<string> arguments, string? runAsUser, IReadOnlyDictionary<string, string>? environment,
        Stream? stdin, Stream? stdout, TimeSpan timeout, CancellationToken ct)
    {
        var user = string.IsNullOrWhiteSpace(runAsUser) ? null : runAsUser;
        var startInfo = new ProcessStartInfo(user is null ? executable : "runuser")
        {
            WorkingDirectory = "/", RedirectStandardInput = stdin is not null, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in user is null ? arguments : ["-u", user, "--", executable, .. arguments]) startInfo.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) startInfo.Environment[name] = value;
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            throw new BackendException($"could not start {tool}: {e.Message}", e);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            var copyOut = stdout is null
                ? process.StandardOutput.ReadToEndAsync(deadline.Token)
                : process.StandardOutput.BaseStream.CopyToAsync(stdout, deadline.Token);
            if (stdin is not null)
            {
                await stdin.CopyToAsync(process.StandardInput.BaseStream, deadline.Token);
                process.StandardInput.Close();
            }
            await copyOut;
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            process.Kill(entireProcessTree: true);
            if (ct.IsCancellationRequested) throw;
            if (e is IOException) throw new BackendException($"{tool} failed: {(await stderr).Trim()} ({e.Message})", e);
            throw new BackendException($"{tool} did not finish within {timeout} and was killed");
        }
        if (process.ExitCode != 0) throw new BackendException($"{tool} exited with {process.ExitCode}: {(await stderr).Trim()}");
    }
}
