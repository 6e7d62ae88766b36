using System.Diagnostics;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>Runs a command to completion; a non-zero exit becomes a <see cref="BackendException"/> naming the command and its stderr.</summary>
internal static class ProcessRunner
{
    public static async Task<string> Run(string fileName, IReadOnlyList<string> arguments, string workingDirectory, CancellationToken ct)
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
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var (output, error) = (await stdout, await stderr);
        if (process.ExitCode != 0)
            throw new BackendException($"`{command}` exited with {process.ExitCode}: {(error.Trim() is { Length: > 0 } e ? e : output.Trim())}");
        return output;
    }
}
