using System.Net;
using System.Net.Sockets;

namespace EventSourced.TestSupport;

/// <summary>Whether something listens on a loopback port: a server that answers, or one that is gone; and taking one.</summary>
public static class LoopbackPort
{
    public static async Task<bool> Accepts(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A listener holding <paramref name="port"/> (a squatter a server cannot start beside), or null when it is taken.</summary>
    public static TcpListener? TryListen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return listener;
        }
        catch (SocketException)
        {
            listener.Dispose();
            return null;
        }
    }
}
