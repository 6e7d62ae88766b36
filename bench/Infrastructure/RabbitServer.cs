using System.Net.Http.Headers;
using System.Text;
using EventSourced.TestSupport;

namespace EventSourced.Bench.Infrastructure;

/// <summary>What the bench reports about the RabbitMQ server (its virtual hosts are the tests' <see cref="RabbitMqVirtualHost"/>).</summary>
public static class RabbitServer
{
    public static async Task<string> Version()
    {
        using var management = new HttpClient { BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/") };
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSettings.RabbitUsername}:{TestSettings.RabbitPassword}"));
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        var overview = await management.GetStringAsync("api/overview");
        var start = overview.IndexOf("\"rabbitmq_version\":\"", StringComparison.Ordinal) + 20;
        return overview[start..overview.IndexOf('"', start)];
    }
}
