using EventSourced.TestSupport;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using Npgsql;
using Xunit.Abstractions;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>
/// Many apps binding one instance at once: each binding is its own stream, so none of them contends with another (on
/// the instance's stream 30 concurrent binds once gave 13 × HTTP 500, version conflicts). Every bind is accepted, ends,
/// and yields a login that works on the real dedicated server.
/// </summary>
public sealed class ConcurrentBindTests(ProvisionedInstanceFixture instance, ITestOutputHelper output) : IClassFixture<ProvisionedInstanceFixture>
{
    private const int Bindings = 100;

    [Fact]
    public async Task HundredConcurrentAsyncBinds_AllAccepted_AllSucceed_EachLogsIn_OneRequestedEventPerBindingStream()
    {
        var fixture = instance.Broker;
        using var client = GenerousClient(fixture);
        var ids = Enumerable.Range(0, Bindings).Select(_ => Guid.NewGuid()).ToArray();
        var clock = Stopwatch.StartNew();

        // All requests leave together: a gate holds them until every task is ready.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = ids.Select(async id =>
        {
            await gate.Task;
            using var response = await client.PutAsJsonAsync($"{BindingPath(id)}?accepts_incomplete=true", BindBody(id));
            return (Id: id, response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }).ToArray();
        gate.SetResult();
        var answers = await Task.WhenAll(requests);
        output.WriteLine($"{Bindings} concurrent binds answered in {clock.Elapsed.TotalSeconds:F1} s");

        var wrong = answers.Where(a => a.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.Created)).ToList();
        Assert.True(wrong.Count == 0,
            $"{wrong.Count} of {Bindings} binds were not 202/201: " +
            string.Join("; ", wrong.GroupBy(a => a.StatusCode).Select(g => $"{(int)g.Key} × {g.Count()} ({g.First().Body})")) +
            $"\n{Tail(fixture.Broker.Output)}");
        var operations = answers.ToDictionary(a => a.Id, a => a.StatusCode == HttpStatusCode.Accepted
            ? (string?)JsonNode.Parse(a.Body)!["operation"] : null);

        // Every binding's operation ends.
        var states = await Task.WhenAll(ids.Select(async id => (Id: id, State: await PollBinding(client, id, operations[id]))));
        output.WriteLine($"all {Bindings} bindings ended after {clock.Elapsed.TotalSeconds:F1} s");

        // The log: exactly one request per binding, each in the binding's own stream; none on the instance's stream.
        // Counted in mt_events itself (Marten's QueryRawEventDataOnly<ServiceBindingRequested>() answered 0 here).
        var typeName = fixture.Environment.Store.Events.EventMappingFor(typeof(ServiceBindingRequested)).EventTypeName;
        var perStream = new Dictionary<string, long>();
        await using (var count = fixture.Environment.Database.DataSource.CreateCommand(
                         "SELECT stream_id, count(*) FROM broker.mt_events WHERE type = $1 GROUP BY stream_id"))
        {
            count.Parameters.Add(new NpgsqlParameter { Value = typeName });
            await using var reader = await count.ExecuteReaderAsync();
            while (await reader.ReadAsync()) perStream[reader.GetString(0)] = reader.GetInt64(1);
        }
        Assert.Equal(ids.Select(ServiceBinding.StreamId).Order(), perStream.Keys.Order());
        Assert.All(perStream, s => Assert.True(s.Value == 1, $"{s.Key}: {s.Value} × {typeName}"));
        foreach (var id in ids)
        {
            var stream = await fixture.Environment.Stream(ServiceBinding.StreamId(id));
            var ofBinding = stream.Where(e => e.Data is ServiceBindingRequested).ToList();
            Assert.True(ofBinding.Count == 1, $"binding {id}: {ofBinding.Count} ServiceBindingRequested in its stream");
            Assert.Equal(id, ((ServiceBindingRequested)ofBinding[0].Data).BindingId);
            Assert.Equal(1, ofBinding[0].Version);
        }
        Assert.DoesNotContain(await fixture.Environment.InstanceEvents(instance.InstanceId), e => e is ServiceBindingRequested);

        // Each binding that succeeded logs in as its own role (one after the other: a dedicated server allows 50 sessions).
        var usernames = new HashSet<string>();
        foreach (var id in states.Where(s => s.State == "succeeded").Select(s => s.Id))
        {
            using var fetched = await client.GetAsync(BindingPath(id));
            var credentials = (await fetched.AssertStatus(HttpStatusCode.OK))["credentials"]!.AsObject();
            var username = (string)credentials["username"]!;
            Assert.True(usernames.Add(username), $"username {username} given twice");
            // The uri carries the same login as the separate fields; the connection is opened from the uri.
            var uri = new Uri((string)credentials["uri"]!);
            var userInfo = uri.UserInfo.Split(':', 2).Select(Uri.UnescapeDataString).ToArray();
            Assert.Equal([username, (string)credentials["password"]!], userInfo);
            Assert.Equal((string)credentials["host"]!, uri.Host);
            Assert.Equal((int)credentials["port"]!, uri.Port);
            Assert.Equal((string)credentials["database"]!, uri.AbsolutePath.TrimStart('/'));
            var login = new NpgsqlConnectionStringBuilder
            {
                Host = uri.Host, Port = uri.Port, Database = uri.AbsolutePath.TrimStart('/'), Username = userInfo[0], Password = userInfo[1],
                Pooling = false, Timeout = 10,
            };
            await using var connection = new NpgsqlConnection(login.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_user", connection);
            Assert.Equal(username, (string?)await command.ExecuteScalarAsync());
        }
        output.WriteLine($"{usernames.Count} logins checked after {clock.Elapsed.TotalSeconds:F1} s");

        // And every one of them succeeded.
        var unsuccessful = states.Where(s => s.State != "succeeded").ToList();
        Assert.True(unsuccessful.Count == 0,
            $"{unsuccessful.Count} of {Bindings} bindings did not succeed: " +
            string.Join("; ", unsuccessful.GroupBy(s => Regex.Replace(s.State ?? "(none)", "binding_[0-9a-f]{32}", "binding_…"))
                .Select(g => $"{g.Count()} × {g.Key}")) +
            $"\n{Tail(fixture.Broker.Output)}");
    }

    private string BindingPath(Guid bindingId) => $"/v2/service_instances/{instance.InstanceId}/service_bindings/{bindingId}";

    private static object BindBody(Guid bindingId) => new
    {
        service_id = ServiceId,
        plan_id = SmallPlanId,
        app_guid = $"app-{bindingId}",
        bind_resource = new { app_guid = $"app-{bindingId}" },
    };

    /// <summary>The fixture's client allows 30 s a request; a hundred at once on one broker may queue longer.</summary>
    private static HttpClient GenerousClient(BrokerFixture fixture)
    {
        var client = new HttpClient { BaseAddress = fixture.Broker.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{fixture.Environment.Username}:{fixture.Environment.Password}")));
        client.DefaultRequestHeaders.Add("X-Broker-API-Version", "2.17");
        return client;
    }

    /// <summary>The operation's last state, with its description when it did not succeed.</summary>
    private static Task<string?> PollBinding(HttpClient client, string path, string? operation)
    {
        var query = operation is null ? "" : $"?operation={operation}";
        return Eventually.Until(async () =>
        {
            using var response = await client.GetAsync($"{path}/last_operation{query}");
            var body = await response.AssertStatus(HttpStatusCode.OK);
            var state = (string?)body["state"];
            return state is "failed" ? $"failed: {body["description"]}" : state;
        }, state => state != "in progress", $"{path}'s operation ends", seconds: 120);
    }

    private Task<string?> PollBinding(HttpClient client, Guid bindingId, string? operation) =>
        PollBinding(client, BindingPath(bindingId), operation);

    /// <summary>The broker's output from its last error on (or its end), for failure messages.</summary>
    private static string Tail(string text)
    {
        var error = text.LastIndexOf("fail:", StringComparison.Ordinal);
        var from = error >= 0 ? error : Math.Max(0, text.Length - 3000);
        return text[from..Math.Min(text.Length, from + 3000)];
    }
}
