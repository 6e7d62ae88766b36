namespace EventSourced.Broker.Hosting;

/// <summary>The broker's own settings (section "Broker"): the basic-auth credentials platforms use, and its public URL.</summary>
public sealed class BrokerOptions
{
    public const string Section = "Broker";

    public string Username { get; set; } = "";
    public string Password { get; set; } = "";
    public string PublicUrl { get; set; } = "http://127.0.0.1:8080";
}
