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
}
