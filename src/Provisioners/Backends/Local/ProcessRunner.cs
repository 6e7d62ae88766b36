using System.Diagnostics;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// Runs a command to completion; a non-zero exit becomes a <see cref="BackendException"/> naming the command and its
/// stderr, and so does a command still running after <c>timeout</c> (it is killed): a hung tool must not hang its step.
/// </summary>
internal static class ProcessRunner
{
    public static async Task<string> Run(
        string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout, CancellationToken ct)
    {
        var command = string.Join(' ', [fileName, .. arguments]);
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            throw new BackendException($"could not start `{command}`: {e.Message}", e);
        }
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (ct.IsCancellationRequested) throw;
            throw new BackendException($"`{command}` did not finish within {timeout.TotalSeconds:0.#} s and was killed");
        }
        var (output, error) = (await stdout, await stderr);
        if (process.ExitCode != 0)
            throw new BackendException($"`{command}` exited with {process.ExitCode}: {(error.Trim() is { Length: > 0 } e ? e : output.Trim())}");
        return output;
    }
}
