using System.Net;
using System.Net.Sockets;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>Gives an instance a port from the range that no other instance has recorded and nothing answers on.</summary>
internal sealed class PortAllocator(LocalBackendOptions options)
{
    // Ports are a machine-wide resource: every backend object in the process takes turns through the static semaphore,
    // and other processes sharing the data root (a second broker, a test run) through an exclusive lock on a file there.
    // Choosing a port and recording it in server.json happen under both, so the next allocation sees it as taken.
    private static readonly SemaphoreSlim Lock = new(1, 1);
    private const string LockFileName = ".ports.lock";

    /// <param name="preferred">The port to take when it is free (the one the deployment engine placed the server on).</param>
    public async Task<int> PortOf(InstanceDirectory instance, CancellationToken ct, int? preferred = null)
    {
        if (instance.ReadServer() is { } recorded) return recorded.Port;
        await Lock.WaitAsync(ct);
        try
        {
            await using var _ = await LockDataRoot(ct);
            if (instance.ReadServer() is { } raced) return raced.Port;
            // Every server of the data root holds its port: instances' and their replicas'.
            var taken = InstanceDirectory.All(options.DataRoot)
                .SelectMany(other => other.Replicas().Select(r => r.Directory).Prepend(other))
                .Where(other => other.Path != instance.Path)
                .Select(other => other.ReadServer()?.Port)
                .OfType<int>()
                .ToHashSet();
            IEnumerable<int> candidates = Enumerable.Range(options.PortRangeStart, Math.Max(0, options.PortRangeEnd - options.PortRangeStart + 1));
            if (preferred is { } first && first >= options.PortRangeStart && first <= options.PortRangeEnd) candidates = candidates.Prepend(first);
            foreach (var port in candidates)
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

    private async Task<FileStream> LockDataRoot(CancellationToken ct)
    {
        Directory.CreateDirectory(options.DataRoot);
        var path = Path.Combine(options.DataRoot, LockFileName);
        var deadline = DateTime.UtcNow + options.StartTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, ct);
            }
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
