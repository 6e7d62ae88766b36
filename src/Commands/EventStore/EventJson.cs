using System.Text.Json;

namespace EventSourced.Commands.EventStore;

/// <summary>The JSON of folded states kept in read models (web defaults: camelCase); events are Marten's to serialize.</summary>
public static class EventJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
