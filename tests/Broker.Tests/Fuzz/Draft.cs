using System.Text;
using System.Text.Json.Nodes;

namespace EventSourced.Broker.Tests.Fuzz;

/// <summary>How a draft's body travels: with a Content-Length, chunked, or not at all (see also <see cref="Draft.RawFraming"/>).</summary>
public enum Framing
{
    ContentLength,
    Chunked,
    None,
}

/// <summary>
/// A request being generated: method, path, query, headers (as byte strings: one char per byte, so non-ASCII and control
/// bytes go on the wire as they are) and a body, either a JSON object still to be broken or bytes already broken.
/// </summary>
public sealed class Draft
{
    public required string Method { get; set; }
    public required string Path { get; set; }
    public List<string> Query { get; } = [];
    public List<(string Name, string Value)> Headers { get; } = [];
    public JsonObject? Json { get; set; }
    public byte[]? Body { get; set; }
    public Framing Framing { get; set; } = Framing.ContentLength;
    public bool Host { get; set; } = true;
    public string Protocol { get; set; } = "HTTP/1.1";
    public OverLimit OverLimit { get; set; }

    /// <summary>
    /// The body is padded to this many bytes when the request is built (whatever else broke it): spaces after JSON keep it
    /// JSON, so the size is the only reason it is refused; junk bytes do for the rest.
    /// </summary>
    public int? PadTo { get; set; }

    /// <summary>A UTF-8 byte order mark before the body, added when the request is built (breakages still edit the JSON).</summary>
    public bool ByteOrderMark { get; set; }
    public List<string> Shapes { get; } = [];

    /// <summary>Framing the generator spells itself from the final body: the header lines to add, and the bytes to send.</summary>
    public Func<byte[], (string Headers, byte[] Wire)>? RawFraming { get; set; }

    /// <summary>The body is shorter than its framing announces.</summary>
    public bool EndsEarly { get; set; }

    /// <summary>A request-line target the generator wrote whole (absolute form, raw bytes…), used instead of path and query.</summary>
    public string? RawTarget { get; set; }

    public string Target => RawTarget ?? (Query.Count == 0 ? Path : $"{Path}?{string.Join("&", Query)}");

    public void SetHeader(string name, string? value)
    {
        Headers.RemoveAll(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (value is not null) Headers.Add((name, value));
    }

    public void RemoveQuery(string name) => Query.RemoveAll(q => q == name || q.StartsWith(name + "="));

    public void SetQuery(string name, string? value)
    {
        RemoveQuery(name);
        if (value is not null) Query.Add($"{name}={value}");
    }

    /// <summary>The body's bytes: the JSON object serialized unless a breakage already replaced it with bytes.</summary>
    public byte[] BodyBytes() => Body ?? (Json is null ? [] : Encoding.UTF8.GetBytes(Json.ToJsonString()));

    public FuzzRequest Build(int index, string host, Random random)
    {
        var body = ByteOrderMark ? [0xEF, 0xBB, 0xBF, .. BodyBytes()] : BodyBytes();
        if (PadTo is { } padTo && padTo > body.Length)
        {
            var padded = new byte[padTo];
            Array.Fill(padded, random.NextDouble() < 0.5 ? (byte)' ' : (byte)'x');
            body.CopyTo(padded, 0);
            body = padded;
        }
        var wire = new MemoryStream();
        void Line(string text) => wire.Write(Encoding.Latin1.GetBytes(text + "\r\n"));
        Line($"{Method} {Utf8(Target)} {Protocol}");
        if (Host) Line($"Host: {host}");
        // A header without a name is a raw line (one without a colon, say).
        foreach (var (name, value) in Headers) Line(name.Length == 0 ? value : $"{name}: {value}");
        if (RawFraming is not null)
        {
            var (headers, bytes) = RawFraming(body);
            Line(headers);
            Line("Connection: close");
            Line("");
            wire.Write(bytes);
            return new FuzzRequest(index, Method, Target, [.. Shapes], wire.ToArray(), OverLimit, EndsEarly);
        }
        switch (Framing)
        {
            case Framing.ContentLength when body.Length > 0 || Method is "PUT" or "PATCH" or "POST":
                Line($"Content-Length: {body.Length}");
                break;
            case Framing.Chunked:
                Line("Transfer-Encoding: chunked");
                break;
        }
        Line("Connection: close");
        Line("");
        switch (Framing)
        {
            case Framing.Chunked:
                for (var offset = 0; offset < body.Length;)
                {
                    var size = Math.Min(body.Length - offset, random.Next(1, 64 * 1024));
                    Line(size.ToString("x"));
                    wire.Write(body, offset, size);
                    Line("");
                    offset += size;
                }
                Line("0");
                Line("");
                break;
            case Framing.ContentLength:
                wire.Write(body);
                break;
        }
        return new FuzzRequest(index, Method, Target, [.. Shapes], wire.ToArray(), OverLimit, EndsEarly);
    }

    /// <summary>A header value as bytes on the wire: UTF-8, one char per byte.</summary>
    public static string Utf8(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));
}
