using System.Net;
using System.Net.Sockets;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// Liveness of server processes. PID 1 on these machines does not reap orphans, so a dead postmaster can linger as a
/// zombie that `kill -0` still finds: a process counts as alive only while /proc says it is neither zombie nor dead.
/// The name check keeps a stale postmaster.pid whose PID was reused by another program from counting as a server.
/// </summary>
internal static class Postmaster
{
    public static bool IsAlive(int pid)
    {
        try
        {
            var status = File.ReadLines($"/proc/{pid}/status").Take(3).ToList();
            var name = status.FirstOrDefault(line => line.StartsWith("Name:"))?["Name:".Length..].Trim();
            var state = status.FirstOrDefault(line => line.StartsWith("State:"))?["State:".Length..].Trim();
            return name is "postgres" && state is not null && !state.StartsWith('Z') && !state.StartsWith('X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static async Task<bool> Answers(int port, CancellationToken ct)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    public static async Task WaitUntilGone(int pid, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline) throw new BackendException($"postmaster {pid} still alive {timeout.TotalSeconds:0} s after stopping");
            await Task.Delay(50, ct);
        }
    }

    /// <summary>
    /// A killed postmaster's children (checkpointer, backends …) exit only once they notice, and while one still holds the
    /// cluster's shared memory a new postmaster refuses to start. They are found by their working directory, the data directory.
    /// </summary>
    public static async Task WaitUntilUnused(string dataDirectory, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Using(dataDirectory).FirstOrDefault() is var pid and not 0)
        {
            if (DateTime.UtcNow > deadline) throw new BackendException($"process {pid} still uses {dataDirectory} {timeout.TotalSeconds:0} s after its postmaster died");
            await Task.Delay(50, ct);
        }
    }

    /// <summary>
    /// Postmasters (postgres processes whose parent is not one) whose working directory, their data directory, is below
    /// <paramref name="dataRoot"/>: with that directory as the kernel names it, " (deleted)" when it was removed under them.
    /// </summary>
    public static IEnumerable<(int Pid, string DataDirectory)> Below(string dataRoot)
    {
        var root = System.IO.Path.TrimEndingDirectorySeparator(dataRoot) + System.IO.Path.DirectorySeparatorChar;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out var pid) || !IsAlive(pid) || IsAlive(ParentOf(pid))) continue;
            if (WorkingDirectory(pid) is { } cwd && cwd.StartsWith(root, StringComparison.Ordinal)) yield return (pid, cwd);
        }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").FirstOrDefault(line => line.StartsWith("PPid:")) is { } line
                   && int.TryParse(line["PPid:".Length..].Trim(), out var parent) ? parent : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static IEnumerable<int> Using(string dataDirectory) =>
        Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? pid : 0)
            .Where(pid => pid != 0 && WorkingDirectory(pid) == dataDirectory && IsAlive(pid));

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
