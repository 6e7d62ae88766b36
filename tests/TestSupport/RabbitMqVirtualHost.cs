using System.Net.Http.Headers;
using System.Text;

namespace EventSourced.TestSupport;

/// <summary>A fresh RabbitMQ virtual host (through the management API), deleted when disposed: each fixture gets its own.</summary>
public sealed class RabbitMqVirtualHost : IAsyncDisposable
{
    private static readonly HttpClient Management = CreateManagementClient();

    private RabbitMqVirtualHost(string name) => Name = name;

    public string Name { get; }

    public static async Task<RabbitMqVirtualHost> Create()
    {
        var name = $"test-{Guid.NewGuid():N}";
        (await Management.PutAsync($"api/vhosts/{name}", null)).EnsureSuccessStatusCode();
        var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await Management.PutAsync($"api/permissions/{name}/{TestSettings.RabbitUsername}", permissions)).EnsureSuccessStatusCode();
        return new RabbitMqVirtualHost(name);
    }

    public async ValueTask DisposeAsync() => await Management.DeleteAsync($"api/vhosts/{Name}");

    private static HttpClient CreateManagementClient()
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/") };
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSettings.RabbitUsername}:{TestSettings.RabbitPassword}"));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        return client;
    }
}
