using System.Text.Json;
using Npgsql;

namespace EventSourced.Commands.EventStore;

/// <summary>
/// The event log on PostgreSQL: streams with optimistic concurrency, and a global log that readers page through by
/// (transaction id, position) so an event can never appear behind a reader's cursor.
/// </summary>
public sealed partial class EventStore(NpgsqlDataSource dataSource, EventTypeRegistry types)
{
    public const string NotificationChannel = "event_store";

    public static readonly JsonSerializerOptions Json = CreateJsonOptions();

    public NpgsqlDataSource DataSource { get; } = dataSource;

    private string Serialize(IDomainEvent data, out string eventType)
    {
        eventType = types.NameOf(data.GetType());
        return JsonSerializer.Serialize(data, data.GetType(), Json);
    }

    private IDomainEvent Deserialize(string eventType, string json) =>
        JsonSerializer.Deserialize(json, types.TypeOf(eventType), Json) as IDomainEvent
        ?? throw new InvalidOperationException($"The stored data of a '{eventType}' event is null.");

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
