using System.Net.Http.Headers;
using System.Text;

namespace EventSourced.Bench.Infrastructure;

/// <summary>A fresh RabbitMQ virtual host (management API), deleted when disposed.</summary>
public sealed class VirtualHost : IAsyncDisposable
{
    private static readonly HttpClient Management = CreateManagementClient();

    private VirtualHost(string name) => Name = name;

    public string Name { get; }

    public static async Task<VirtualHost> Create()
    {
        var name = $"bench-{Guid.NewGuid():N}";
        (await Management.PutAsync($"api/vhosts/{name}", null)).EnsureSuccessStatusCode();
        var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await Management.PutAsync($"api/permissions/{name}/{Settings.RabbitUsername}", permissions)).EnsureSuccessStatusCode();
        return new VirtualHost(name);
    }

    public static async Task<string> ServerVersion()
    {
        var overview = await Management.GetStringAsync("api/overview");
        var start = overview.IndexOf("\"rabbitmq_version\":\"", StringComparison.Ordinal) + 20;
        return overview[start..overview.IndexOf('"', start)];
    }

    public async ValueTask DisposeAsync() => await Management.DeleteAsync($"api/vhosts/{Name}");

    private static HttpClient CreateManagementClient()
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://{Settings.RabbitHost}:{Settings.RabbitManagementPort}/") };
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Settings.RabbitUsername}:{Settings.RabbitPassword}"));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        return client;
    }
}
