using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace EventSourced.Provisioners.Backends.Local.Redis;

/// <summary>
/// One connection speaking RESP2, Redis's protocol: commands as arrays of bulk strings, replies read as they come. Enough
/// for the broker's own administration of its Redis servers (AUTH, ACL, PING) without a client library.
/// </summary>
public sealed class RespClient : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly BufferedStream _reader;

    private RespClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new BufferedStream(_stream);
    }

    public static async Task<RespClient> Connect(string host, int port, CancellationToken ct)
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, ct);
            return new RespClient(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Sends one command and reads its reply: a string, a long, null, an array of them, or a <see cref="RespError"/> (not thrown).</summary>
    public async Task<object?> Send(CancellationToken ct, params string[] arguments)
    {
        var command = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments)
            command.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToString()), ct);
        return await Read(ct);
    }

    /// <summary>Like <see cref="Send"/>, but an error reply is a <see cref="BackendException"/>.</summary>
    public async Task<object?> Expect(CancellationToken ct, params string[] arguments)
    {
        var reply = await Send(ct, arguments);
        // Only the command's name and subcommand: its other arguments may be a password.
        return reply is RespError error
            ? throw new BackendException($"redis refused {arguments[0]}{(arguments.Length > 1 ? " " + arguments[1] : "")}: {error.Message}")
            : reply;
    }

    private async Task<object?> Read(CancellationToken ct)
    {
        var line = await ReadLine(ct);
        var payload = line[1..];
        switch (line[0])
        {
            case '+': return payload;
            case '-': return new RespError(payload);
            case ':': return long.Parse(payload, CultureInfo.InvariantCulture);
            case '$':
                var length = int.Parse(payload, CultureInfo.InvariantCulture);
                if (length < 0) return null;
                var bytes = new byte[length + 2];
                await _reader.ReadExactlyAsync(bytes, ct);
                return Encoding.UTF8.GetString(bytes, 0, length);
            case '*':
                var count = int.Parse(payload, CultureInfo.InvariantCulture);
                if (count < 0) return null;
                var items = new object?[count];
                for (var i = 0; i < count; i++) items[i] = await Read(ct);
                return items;
            default:
                throw new BackendException($"redis sent a reply that is not RESP: '{line}'");
        }
    }

    private async Task<string> ReadLine(CancellationToken ct)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await _reader.ReadAsync(one, ct) == 0) throw new EndOfStreamException("redis closed the connection");
            if (one[0] == '\n' && line.Count > 0 && line[^1] == '\r') return Encoding.UTF8.GetString(line.ToArray(), 0, line.Count - 1);
            line.Add(one[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.DisposeAsync();
        _client.Dispose();
    }
}

/// <summary>An error reply (<c>-ERR …</c>, <c>-WRONGPASS …</c>, <c>-NOAUTH …</c>): the reply of a refused command.</summary>
public sealed record RespError(string Message);
