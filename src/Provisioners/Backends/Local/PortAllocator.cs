using System.Net;
using System.Net.Sockets;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>Gives an instance a port from the range that no other instance has recorded and nothing answers on.</summary>
internal sealed class PortAllocator(LocalBackendOptions options)
{
    // Static: the ports are a machine-wide resource, so every backend object in the process takes turns. Choosing a port
    // and recording it in server.json happen under the lock, so the next allocation already sees it as taken.
    private static readonly SemaphoreSlim Lock = new(1, 1);

    public async Task<int> PortOf(InstanceDirectory instance, CancellationToken ct)
    {
        if (instance.ReadServer() is { } recorded) return recorded.Port;
        await Lock.WaitAsync(ct);
        try
        {
            if (instance.ReadServer() is { } raced) return raced.Port;
            var taken = InstanceDirectory.All(options.DataRoot)
                .Where(other => other.InstanceId != instance.InstanceId)
                .Select(other => other.ReadServer()?.Port)
                .OfType<int>()
                .ToHashSet();
            for (var port = options.PortRangeStart; port <= options.PortRangeEnd; port++)
            {
                if (taken.Contains(port) || await Postmaster.Answers(port, ct) || !CanListen(port)) continue;
                instance.WriteServer(new ServerRecord(port));
                return port;
            }
            throw new BackendException(
                $"no free port for instance {instance.InstanceId} in {options.PortRangeStart}..{options.PortRangeEnd}: {taken.Count} recorded by other instances");
        }
        finally
        {
            Lock.Release();
        }
    }

    private static bool CanListen(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
