using System.Diagnostics;

namespace EventSourced.Broker.Tests.Chaos;

/// <summary>
/// The processes a run left on this machine, found through /proc rather than through the broker's own records: a
/// postmaster is a live `postgres` process started with `-D &lt;data root&gt;/&lt;instance&gt;/pgdata` (its children
/// rename themselves, `postgres -C` and initdb's bootstrap are short-lived tools, not servers).
/// </summary>
internal static class ServerProcesses
{
    public sealed record Postmaster(int Pid, Guid InstanceId, string DataDirectory);

    public static IReadOnlyList<Postmaster> Postmasters(string dataRoot)
    {
        var found = new List<Postmaster>();
        foreach (var pid in Pids())
        {
            if (!IsLive(pid, out var name) || name != "postgres" || Arguments(pid) is not { Length: > 0 } arguments) continue;
            if (!Path.GetFileName(arguments[0]).Equals("postgres", StringComparison.Ordinal)) continue;
            if (arguments.Any(a => a is "-C" or "--boot" or "--single" or "--check")) continue;
            var d = Array.IndexOf(arguments, "-D");
            if (d < 0 || d + 1 >= arguments.Length) continue;
            var dataDirectory = Path.GetFullPath(arguments[d + 1]);
            var relative = Path.GetRelativePath(Path.GetFullPath(dataRoot), dataDirectory);
            if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) continue;
            var instance = relative.Split(Path.DirectorySeparatorChar)[0];
            found.Add(new Postmaster(pid, Guid.TryParse(instance, out var id) ? id : Guid.Empty, dataDirectory));
        }
        return found;
    }

    /// <summary>
    /// Every live process of the run: its working directory or an argument lies under the data root (postmasters and their
    /// children, initdb, pg_ctl and runuser orphaned by a killed broker).
    /// </summary>
    public static IReadOnlyList<int> Under(string dataRoot)
    {
        var root = Path.GetFullPath(dataRoot).TrimEnd('/') + "/";
        return Pids().Where(pid => IsLive(pid, out _) && pid != Environment.ProcessId &&
            ((WorkingDirectory(pid) is { } cwd && (cwd + "/").StartsWith(root, StringComparison.Ordinal)) ||
             (Arguments(pid)?.Any(a => a.StartsWith(root, StringComparison.Ordinal)) ?? false))).ToList();
    }

    /// <summary>Last resort of a run's clean-up: SIGKILL, by PID, whatever of the run still lives under its data root.</summary>
    public static int KillAllUnder(string dataRoot)
    {
        var killed = 0;
        foreach (var pid in Under(dataRoot))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                killed++;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
        return killed;
    }

    private static IEnumerable<int> Pids() =>
        Directory.EnumerateDirectories("/proc").Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? pid : 0).Where(pid => pid > 0);

    /// <summary>Live = neither zombie nor dead (PID 1 here does not reap orphans, so dead servers linger as zombies).</summary>
    private static bool IsLive(int pid, out string? name)
    {
        name = null;
        try
        {
            var status = File.ReadLines($"/proc/{pid}/status").Take(3).ToList();
            name = status.FirstOrDefault(line => line.StartsWith("Name:"))?["Name:".Length..].Trim();
            var state = status.FirstOrDefault(line => line.StartsWith("State:"))?["State:".Length..].Trim();
            return state is not null && !state.StartsWith('Z') && !state.StartsWith('X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string[]? Arguments(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? WorkingDirectory(int pid)
    {
        try
        {
            return Directory.ResolveLinkTarget($"/proc/{pid}/cwd", returnFinalTarget: false)?.FullName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
