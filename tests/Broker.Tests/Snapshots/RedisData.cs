using System.Globalization;
using System.Net.Sockets;
using System.Text;
using EventSourced.Provisioners.Backends.Local.Redis;

namespace EventSourced.Broker.Tests.Snapshots;

/// <summary>
/// The data the Redis snapshot tests write and compare: keys of every type (binary keys and values among them, some with
/// a TTL), written and read over a binary-safe, pipelined RESP2 connection as an app with a binding's user does.
/// </summary>
internal static class RedisData
{
    public const int TtlSeconds = 3600;

    /// <summary>A few thousand keys: strings (binary ones too), hashes, lists, sets, sorted sets, small and large, some expiring.</summary>
    public static async Task Fill(int port, (string User, string Password) login)
    {
        await using var redis = await RedisConnection.Open(port, login);
        var commands = new List<object[]>();
        for (var i = 0; i < 2000; i++)
            commands.Add(["SET", $"string:{i}", i % 10 == 0 ? Binary(i, 64) : $"value {i} ünïcødé"]);
        commands.Add(["SET", Binary(7, 12), Binary(8, 300)]);
        commands.Add(["SET", "empty", ""]);
        for (var i = 0; i < 300; i++)
            commands.Add(["HSET", $"hash:{i}", "name", $"n{i}", "count", i.ToString(CultureInfo.InvariantCulture), "blob", Binary(i, 20), Binary(i, 3), "x"]);
        commands.Add(["HSET", "hash:large", .. Enumerable.Range(0, 1000).SelectMany(i => new object[] { $"f{i}", $"v{i * 7}" })]);
        for (var i = 0; i < 300; i++)
            commands.Add(["RPUSH", $"list:{i}", "a", "b", "a", Binary(i, 10), i.ToString(CultureInfo.InvariantCulture)]);
        commands.Add(["RPUSH", "list:large", .. Enumerable.Range(0, 2000).Select(i => (object)$"item {i % 500}")]);
        for (var i = 0; i < 300; i++)
            commands.Add(i % 2 == 0
                ? ["SADD", $"set:{i}", "1", "2", "30000", i.ToString(CultureInfo.InvariantCulture)]
                : ["SADD", $"set:{i}", "red", "green", Binary(i, 16)]);
        commands.Add(["SADD", "set:large", .. Enumerable.Range(0, 1000).Select(i => (object)$"member {i}")]);
        for (var i = 0; i < 300; i++)
            commands.Add(["ZADD", $"zset:{i}", "1.5", "one", "-2", "minus", "0", Binary(i, 8), "+inf", "top"]);
        commands.Add(["ZADD", "zset:large", .. Enumerable.Range(0, 600).SelectMany(i => new object[] { (i * 0.25).ToString(CultureInfo.InvariantCulture), $"m{i}" })]);
        for (var i = 0; i < 50; i++) commands.Add(["SET", $"expiring:{i}", $"soon {i}", "EX", TtlSeconds.ToString(CultureInfo.InvariantCulture)]);
        commands.Add(["EXPIRE", "hash:1", TtlSeconds.ToString(CultureInfo.InvariantCulture)]);
        commands.Add(["EXPIRE", "zset:large", TtlSeconds.ToString(CultureInfo.InvariantCulture)]);
        foreach (var reply in await redis.Pipeline(commands))
            Assert.False(reply is RespError, $"a write was refused: {(reply as RespError)?.Message}");
    }

    /// <summary>
    /// Every key (hex of its bytes) with its type, its value in a canonical form (members of sets and hashes sorted) and
    /// whether it expires, in at most <see cref="TtlSeconds"/>: equal datasets give equal dictionaries.
    /// </summary>
    public static async Task<SortedDictionary<string, string>> Read(int port, (string User, string Password) login)
    {
        await using var redis = await RedisConnection.Open(port, login);
        var keys = await redis.Keys();
        var meta = await redis.Pipeline(keys.SelectMany(k => new[] { new object[] { "TYPE", k }, ["PTTL", k] }).ToList());
        var types = keys.Select((_, i) => (string)meta[2 * i]!).ToList();
        var values = await redis.Pipeline(keys.Select((key, i) => types[i] switch
        {
            "string" => new object[] { "GET", key },
            "hash" => ["HGETALL", key],
            "list" => ["LRANGE", key, "0", "-1"],
            "set" => ["SMEMBERS", key],
            "zset" => ["ZRANGE", key, "0", "-1", "WITHSCORES"],
            var other => throw new InvalidOperationException($"key {Convert.ToHexString(key)} has type {other}, which the test does not write"),
        }).ToList());
        var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            var ttl = (long)meta[2 * i + 1]!;
            Assert.True(ttl == -1 || ttl is > 0 and <= TtlSeconds * 1000L, $"key {Encoding.UTF8.GetString(keys[i])} has PTTL {ttl}");
            data[Convert.ToHexString(keys[i])] = $"{types[i]} {(ttl > 0 ? "expires" : "persists")} {Canonical(types[i], values[i])}";
        }
        return data;
    }

    private static string Canonical(string type, object? value) => value switch
    {
        byte[] bytes => Convert.ToHexString(bytes),
        object?[] items when type is "hash" => string.Join(",", items.Chunk(2).Select(p => $"{Hex(p[0])}={Hex(p[1])}").Order(StringComparer.Ordinal)),
        object?[] items when type is "set" => string.Join(",", items.Select(Hex).Order(StringComparer.Ordinal)),
        object?[] items => string.Join(",", items.Select(Hex)),
        _ => throw new InvalidOperationException($"unexpected reply {value}"),
    };

    private static string Hex(object? item) => Convert.ToHexString((byte[])item!);

    /// <summary>Bytes of every value 0..255 (NUL, CR, LF, invalid UTF-8), different per seed.</summary>
    private static byte[] Binary(int seed, int length) => Enumerable.Range(0, length).Select(j => (byte)((seed * 31 + j * 97) % 256)).ToArray();
}

/// <summary>RESP2 over TCP with byte strings: commands written in one batch, then their replies read (bulk strings as bytes).</summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly BufferedStream _stream;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private RedisConnection(TcpClient client)
    {
        _client = client;
        _stream = new BufferedStream(client.GetStream(), 65536);
    }

    /// <summary>A connection logged in as <paramref name="login"/>; fails with the server's answer if AUTH is refused.</summary>
    public static async Task<RedisConnection> Open(int port, (string User, string Password) login)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var connection = new RedisConnection(client);
        var auth = (await connection.Pipeline([["AUTH", login.User, login.Password]]))[0];
        Assert.True(auth is "OK", $"AUTH as {login.User} answered {(auth as RespError)?.Message ?? auth}");
        return connection;
    }

    /// <summary>Each command's reply, in order: a string, a long, bytes, null, an array of them, or a <see cref="RespError"/>.</summary>
    public async Task<object?[]> Pipeline(IReadOnlyList<object[]> commands)
    {
        foreach (var batch in commands.Chunk(500))
        {
            foreach (var command in batch)
            {
                Write($"*{command.Length}\r\n");
                foreach (var argument in command)
                {
                    var bytes = argument as byte[] ?? Encoding.UTF8.GetBytes((string)argument);
                    Write($"${bytes.Length}\r\n");
                    await _stream.WriteAsync(bytes, _timeout.Token);
                    Write("\r\n");
                }
            }
            await _stream.FlushAsync(_timeout.Token);
        }
        var replies = new object?[commands.Count];
        for (var i = 0; i < replies.Length; i++) replies[i] = await Read();
        return replies;
    }

    /// <summary>Every key, by SCAN (KEYS is among the commands a binding's user may not run): each once, in no order.</summary>
    public async Task<List<byte[]>> Keys()
    {
        var keys = new Dictionary<string, byte[]>();
        var cursor = "0";
        do
        {
            var page = (object?[])(await Pipeline([["SCAN", cursor, "COUNT", "1000"]]))[0]!;
            cursor = Encoding.ASCII.GetString((byte[])page[0]!);
            foreach (var key in ((object?[])page[1]!).Cast<byte[]>()) keys[Convert.ToHexString(key)] = key;
        } while (cursor != "0");
        return keys.Values.ToList();
    }

    private void Write(string text) => _stream.Write(Encoding.ASCII.GetBytes(text));

    private async Task<object?> Read()
    {
        var line = await ReadLine();
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
                await _stream.ReadExactlyAsync(bytes, _timeout.Token);
                return bytes[..length];
            case '*':
                var count = int.Parse(payload, CultureInfo.InvariantCulture);
                if (count < 0) return null;
                var items = new object?[count];
                for (var i = 0; i < count; i++) items[i] = await Read();
                return items;
            default:
                throw new InvalidDataException($"not a RESP reply: '{line}'");
        }
    }

    private async Task<string> ReadLine()
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await _stream.ReadAsync(one, _timeout.Token) == 0) throw new EndOfStreamException("redis closed the connection");
            if (one[0] == '\n' && line.Count > 0 && line[^1] == '\r') return Encoding.UTF8.GetString(line.ToArray(), 0, line.Count - 1);
            line.Add(one[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
        _timeout.Dispose();
    }
}
