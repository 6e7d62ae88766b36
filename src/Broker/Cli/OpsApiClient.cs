using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EventSourced.Broker.CloudConfigs;
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

/// <summary>A job's 202 as the CLI reads it: <see cref="JobAccepted"/>, with an export's snapshot id or a backup's or restore's backup id.</summary>
public sealed record SubmittedJob(Guid JobId, Guid InstanceId, string Kind, Guid? SnapshotId = null, Guid? BackupId = null);

/// <summary>The CLI's way to the broker: the ops API over HTTP with the ops credentials, never the database.</summary>
public sealed class OpsApiClient(Uri baseAddress, string username, string password) : IDisposable
{
    private readonly HttpClient _http = new()
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"))) },
    };

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>Submits a job; the answer's snapshot id is an export's (the snapshot it makes).</summary>
    public async Task<SubmittedJob> Submit(string job, object request, CancellationToken ct) =>
        await Read<SubmittedJob>(await _http.PostAsJsonAsync($"{OpsApi.Prefix}/ops/{job}", request, OpsApi.Json, ct), ct);

    public async Task<BackupListView> Backups(string instanceId, CancellationToken ct) =>
        await Read<BackupListView>(await _http.GetAsync($"{OpsApi.Prefix}/ops/instances/{Uri.EscapeDataString(instanceId)}/backups", ct), ct);

    public async Task<JobView> Job(Guid jobId, CancellationToken ct) => await Read<JobView>(await _http.GetAsync($"{OpsApi.Prefix}/ops/jobs/{jobId}", ct), ct);

    /// <param name="kind">upgrade-all or recreate-all.</param>
    public async Task<FleetRunAccepted> StartFleetRun(string kind, FleetRunRequest request, CancellationToken ct) =>
        await Read<FleetRunAccepted>(await _http.PostAsJsonAsync($"{OpsApi.Prefix}/ops/{kind}", request, OpsApi.Json, ct), ct);

    public async Task<FleetRunView> FleetRun(Guid runId, CancellationToken ct) =>
        await Read<FleetRunView>(await _http.GetAsync($"{OpsApi.Prefix}/ops/fleet-runs/{runId}", ct), ct);

    public async Task<CloudConfigView> CloudConfig(int? version, CancellationToken ct) =>
        await Read<CloudConfigView>(await _http.GetAsync($"{OpsApi.Prefix}{CloudConfigEndpoints.Path}{(version is { } v ? $"?version={v}" : "")}", ct), ct);

    public async Task<CloudConfigAccepted> UpdateCloudConfig(string yaml, int? ifMatch, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{OpsApi.Prefix}{CloudConfigEndpoints.Path}")
        {
            Content = new StringContent(yaml, Encoding.UTF8, "application/yaml"),
        };
        if (ifMatch is { } version) request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{version}\""));
        return await Read<CloudConfigAccepted>(await _http.SendAsync(request, ct), ct);
    }

    private static async Task<T> Read<T>(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode) return JsonSerializer.Deserialize<T>(body, OpsApi.Json)!;
            CloudConfigInvalid? error = null;
            try { error = JsonSerializer.Deserialize<CloudConfigInvalid>(body, OpsApi.Json); }
            catch (JsonException) { }
            var details = error?.Errors is { Count: > 0 } errors ? $"{error.Description}{Environment.NewLine}{string.Join(Environment.NewLine, errors)}" : error?.Description;
            throw new OpsApiRefusal(response.StatusCode, error?.Error ?? response.ReasonPhrase ?? "Error", details ?? body);
        }
    }

    public void Dispose() => _http.Dispose();
}
