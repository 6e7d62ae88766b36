using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Chaos;

/// <summary>
/// What a failed run leaves for whoever fixes it, written beside the brokers' logs before the environment is dropped:
/// the subscriptions' progress, the saga documents, the read model rows and the backend's files of the instances in
/// question, and the virtual host's queues (a message parked in an _error queue is a step nobody will run).
/// </summary>
internal static class ChaosEvidence
{
    private static readonly HttpClient Management = new()
    {
        BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/"),
        DefaultRequestHeaders =
        {
            Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSettings.RabbitUsername}:{TestSettings.RabbitPassword}"))),
        },
    };

    public static async Task Write(BrokerEnvironment environment, IEnumerable<Guid> instances, string file)
    {
        var text = new StringBuilder();
        var ids = instances.Distinct().ToList();
        await Query(environment, text, "subscription and projection progress", "SELECT name, last_seq_id, mode, heartbeat FROM broker.mt_event_progression ORDER BY name");
        await Query(environment, text, "highest sequence", "SELECT max(seq_id) FROM broker.mt_events");
        foreach (var table in await DocumentTables(environment))
            await Query(environment, text, $"{table} rows naming an instance in question",
                $"SELECT id, data::text FROM broker.\"{table}\" WHERE {Naming("data::text", ids)}");
        await Query(environment, text, "last_operations of the instances in question",
            $"SELECT * FROM broker.last_operations WHERE {Naming("instance_id::text", ids)}");
        await Queues(environment, text);
        foreach (var id in ids)
        {
            var directory = Path.Combine(environment.DataRoot, id.ToString());
            text.AppendLine($"== backend of {id}: {directory}");
            if (!Directory.Exists(directory))
            {
                text.AppendLine("(no directory)");
                continue;
            }
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory)) text.AppendLine(Path.GetFileName(entry));
            foreach (var name in new[] { "storage.json", "server.json" })
                if (File.Exists(Path.Combine(directory, name))) text.AppendLine($"{name}: {await File.ReadAllTextAsync(Path.Combine(directory, name))}");
            if (File.Exists(Path.Combine(directory, "server.log")))
                text.AppendLine("server.log (tail):\n" + string.Join('\n', File.ReadLines(Path.Combine(directory, "server.log")).TakeLast(15)));
        }
        await File.WriteAllTextAsync(file, text.ToString());
    }

    private static async Task Queues(BrokerEnvironment environment, StringBuilder text)
    {
        text.AppendLine("== queues (name | ready | unacknowledged), and the first messages of those holding any");
        try
        {
            var vhost = Uri.EscapeDataString(environment.VirtualHost.Name);
            var queues = JsonNode.Parse(await Management.GetStringAsync($"api/queues/{vhost}?columns=name,messages_ready,messages_unacknowledged"))!.AsArray();
            foreach (var queue in queues)
            {
                text.AppendLine($"{queue!["name"]} | {queue["messages_ready"]} | {queue["messages_unacknowledged"]}");
                if ((int?)queue["messages_ready"] is not > 0) continue;
                var peek = await Management.PostAsync($"api/queues/{vhost}/{Uri.EscapeDataString((string)queue["name"]!)}/get",
                    new StringContent("""{"count":5,"ackmode":"ack_requeue_true","encoding":"auto","truncate":2000}""", Encoding.UTF8, "application/json"));
                text.AppendLine(await peek.Content.ReadAsStringAsync());
            }
        }
        catch (Exception e)
        {
            text.AppendLine($"({e.Message})");
        }
    }

    private static string Naming(string column, IReadOnlyList<Guid> ids) =>
        ids.Count == 0 ? "false" : string.Join(" OR ", ids.Select(id => $"{column} LIKE '%{id}%'"));

    private static async Task<List<string>> DocumentTables(BrokerEnvironment environment)
    {
        await using var command = environment.Database.DataSource.CreateCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'broker' AND table_name LIKE 'mt_doc_%' AND table_name <> 'mt_doc_inbox'");
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        return tables;
    }

    private static async Task Query(BrokerEnvironment environment, StringBuilder text, string title, string sql)
    {
        text.AppendLine($"== {title}");
        try
        {
            await using var command = environment.Database.DataSource.CreateCommand(sql);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                text.AppendLine(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i).ToString())));
        }
        catch (Exception e)
        {
            text.AppendLine($"({e.Message})");
        }
    }
}
