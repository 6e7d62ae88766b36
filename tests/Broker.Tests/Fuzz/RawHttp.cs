using System.Net.Sockets;
using System.Text;

namespace EventSourced.Broker.Tests.Fuzz;

/// <summary>
/// Sends a request as exact bytes over its own connection and reads the status line of the answer: HttpClient would
/// refuse (or repair) much of what a fuzz test must send, such as raw non-ASCII header bytes or broken chunk framing.
/// </summary>
public static class RawHttp
{
    /// <summary>The response's status code, or null when the connection ended without one (<paramref name="error"/> says how).</summary>
    /// <param name="endsEarly">
    /// The request is short of what it announces (a truncated body): the sending side is closed after it, so the server sees
    /// the end at once instead of waiting out its body timeout. Otherwise the connection stays open both ways until the
    /// answer: Kestrel takes a half-closed connection for a client that went away and answers nothing.
    /// </param>
    public static async Task<(int? Status, string Head, string? Error)> Send(int port, byte[] request, bool endsEarly, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, cts.Token);
        // The answer is read while the request is written: the broker may answer (413) and close before it has read it all.
        var reading = ReadAll(socket, cts.Token);
        string? writeError = null;
        try
        {
            for (var offset = 0; offset < request.Length;)
                offset += await socket.SendAsync(request.AsMemory(offset, Math.Min(64 * 1024, request.Length - offset)), SocketFlags.None, cts.Token);
            if (endsEarly) socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            writeError = e.Message;
        }
        var (response, readError) = await reading;
        var text = Encoding.Latin1.GetString(response);
        // An interim answer (100 Continue) comes before the final one.
        while (text.StartsWith("HTTP/1.1 1") && text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is > 0 and var end) text = text[(end + 4)..];
        var head = text.Split("\r\n\r\n", 2)[0];
        var status = head.StartsWith("HTTP/1.") && head.Length >= 12 && int.TryParse(head.AsSpan(9, 3), out var code) ? code : (int?)null;
        return (status, text.Length > 2000 ? text[..2000] : text, status is null ? readError ?? writeError ?? "no response" : null);
    }

    private static async Task<(byte[] Response, string? Error)> ReadAll(Socket socket, CancellationToken ct)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (read == 0) return (received.ToArray(), null);
                if (received.Length < 64 * 1024) received.Write(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return (received.ToArray(), e.Message);
        }
    }
}
