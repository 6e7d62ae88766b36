using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Ops;
using EventSourced.TestSupport;
using Npgsql;

namespace EventSourced.Broker.Tests.Backups;

/// <summary>The backup calls of the tests, spelled once.</summary>
public static class Backups
{
    public static Task<HttpResponseMessage> PatchBackup(this HttpClient osb, Guid instanceId, object? backup) =>
        osb.PatchAsJsonAsync($"/v2/service_instances/{instanceId}?accepts_incomplete=true",
            new { service_id = Hosting.Osb.ServiceId, parameters = new Dictionary<string, object?> { ["backup"] = backup } });

    /// <summary>
    /// Sets the backup parameter, trying again while a backup of the instance runs (an update is refused then, as any
    /// update beside another operation of the instance is).
    /// </summary>
    public static async Task SetBackup(this HttpClient osb, Guid instanceId, object? backup)
    {
        var answer = await Eventually.Until(async () =>
        {
            var response = await osb.PatchBackup(instanceId, backup);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }, r => r.StatusCode != HttpStatusCode.UnprocessableEntity || !r.Body.Contains("in progress"), "the backup parameter is accepted", seconds: 120);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{(int)answer.StatusCode} {answer.Body}");
    }

    public static Task<HttpResponseMessage> BackupJob(this HttpClient ops, Guid instanceId) =>
        ops.PostAsync($"/api/v1/ops/instances/{instanceId}/backups", null);

    public static Task<HttpResponseMessage> RestoreJob(this HttpClient ops, Guid instanceId, string backupId) =>
        ops.PostAsync($"/api/v1/ops/instances/{instanceId}/backups/{backupId}/restore", null);

    /// <summary>A backup taken now, to its end: its id, failing unless it succeeded.</summary>
    public static async Task<Guid> BackUp(this HttpClient ops, Guid instanceId, Func<string>? details = null)
    {
        var response = await ops.BackupJob(instanceId);
        var body = await response.Content.ReadAsStringAsync();
        var jobId = await response.JobId();
        var job = await ops.JobWhenFinished(jobId, details: details);
        Assert.True((string?)job["state"] == "succeeded", $"{job}\n{details?.Invoke()}");
        return Guid.Parse((string)JsonNode.Parse(body)!["backupId"]!);
    }

    public static async Task<JsonObject> BackupList(this HttpClient ops, Guid instanceId) =>
        JsonNode.Parse(await ops.GetStringAsync($"/api/v1/ops/instances/{instanceId}/backups"))!.AsObject();

    /// <summary>Waits until no backup or restore of the instance runs.</summary>
    public static Task Idle(this HttpClient ops, Guid instanceId) =>
        Eventually.Until(() => ops.BackupList(instanceId),
            list => list["backups"]!.AsArray().All(b => (string?)b!["state"] != "in progress"), "no backup of the instance runs", seconds: 120);

    /// <summary>Deletes every row of <see cref="Snapshots.Snapshots.Fill"/>'s tables (an application's mistake a restore undoes).</summary>
    public static async Task DeleteRows(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("DELETE FROM blobs; DELETE FROM accounts;", connection);
        await command.ExecuteNonQueryAsync();
    }
}
