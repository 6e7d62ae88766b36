using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EventSourced.Broker.Ops;

namespace EventSourced.Broker.Cli;

/// <summary>A refusal of the ops API: its status and what it said.</summary>
public sealed class OpsApiRefusal(HttpStatusCode status, string error, string description)
    : Exception($"{(int)status} {error}: {description}")
{
    public HttpStatusCode Status { get; } = status;
    public string Error { get; } = error;
    public string Description { get; } = description;
}

/// <summary>The CLI's way to the broker: the ops API over HTTP with the ops credentials, never the database.</summary>
public sealed class OpsApiClient(Uri baseAddress, string username, string password) : IDisposable
{
    private readonly HttpClient _http = new()
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"))) },
    };

    public async Task<JobAccepted> Submit(string job, object request, CancellationToken ct) =>
        await Read<JobAccepted>(await _http.PostAsJsonAsync($"{OpsApi.Prefix}/ops/{job}", request, OpsApi.Json, ct), ct);

    public async Task<JobView> Job(Guid jobId, CancellationToken ct) => await Read<JobView>(await _http.GetAsync($"{OpsApi.Prefix}/ops/jobs/{jobId}", ct), ct);

    private static async Task<T> Read<T>(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode) return JsonSerializer.Deserialize<T>(body, OpsApi.Json)!;
            OpsError? error = null;
            try { error = JsonSerializer.Deserialize<OpsError>(body, OpsApi.Json); }
            catch (JsonException) { }
            throw new OpsApiRefusal(response.StatusCode, error?.Error ?? response.ReasonPhrase ?? "Error", error?.Description ?? body);
        }
    }

    public void Dispose() => _http.Dispose();
}
