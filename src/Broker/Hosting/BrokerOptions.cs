namespace EventSourced.Broker.Hosting;

/// <summary>
/// The broker's own settings (section "Broker"): the basic-auth credentials platforms use, its public URL, how long a
/// synchronous bind waits for its login, and how much a request may carry (OSB bodies are a few kilobytes; anything near
/// the limit is a mistake or an attack).
/// </summary>
public sealed class BrokerOptions
{
    public const string Section = "Broker";

    public string Username { get; set; } = "";
    public string Password { get; set; } = "";
    public string PublicUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>
    /// How long a bind without <c>accepts_incomplete=true</c> waits for its login before the broker gives the binding up
    /// (recorded as failed; a login made later is dropped again) and answers 500. Shorter than the platforms' usual 60 s
    /// request timeout, so the platform hears the answer instead of timing out.
    /// </summary>
    public TimeSpan SynchronousBindTimeout { get; set; } = TimeSpan.FromSeconds(50);

    /// <summary>A request body above this many bytes is refused with 413 (Content-Length or chunked alike).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The request's headers together (names and values) above this many bytes are refused by Kestrel with 431.</summary>
    public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;
}
