using System.Net;
using System.Net.Sockets;

namespace EventSourced.TestSupport;

/// <summary>Whether something listens on a loopback port: a server that answers, or one that is gone.</summary>
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
}
