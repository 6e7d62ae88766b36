using System.Text;

namespace EventSourced.Broker.Tests.Fuzz;

/// <summary>
/// One generated request as the exact bytes sent, with what was done to it (<see cref="Shapes"/>) so a failure reads as
/// "PUT provision, one field broken: organization_guid holds U+0000" and can be sent again by hand.
/// </summary>
/// <param name="OverLimit">How the body passes the broker's limit, if it does: a 413 is owed.</param>
/// <param name="EndsEarly">The bytes end before what they announce (a truncated body): see <see cref="RawHttp.Send"/>.</param>
public sealed record FuzzRequest(int Index, string Method, string Target, IReadOnlyList<string> Shapes, byte[] Bytes, OverLimit OverLimit, bool EndsEarly)
{
    /// <summary>The request identity it carries, when its shapes left it one: appended events name it in their metadata.</summary>
    public string Identity => RequestIdentity(Index);

    public static string RequestIdentity(int index) => $"fuzz-{index}";

    public string Describe(int maxBytes = 1200)
    {
        var text = new StringBuilder();
        foreach (var b in Bytes.AsSpan(0, Math.Min(Bytes.Length, maxBytes)))
            text.Append(b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n\n    ",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7f => ((char)b).ToString(),
                _ => $"\\x{b:x2}",
            });
        if (Bytes.Length > maxBytes) text.Append($"… ({Bytes.Length} bytes in all)");
        return $"#{Index} {Method} {Target} [{string.Join(", ", Shapes)}]\n    {text}";
    }
}

public enum OverLimit
{
    No,

    /// <summary>Content-Length says more than the limit: refused before anything reads it, on any route.</summary>
    ByContentLength,

    /// <summary>Chunked, with more than the limit: refused when a route reads that far.</summary>
    Chunked,
}
