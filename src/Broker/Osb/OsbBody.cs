using System.Text.Json.Nodes;

namespace EventSourced.Broker.Osb;

/// <summary>A response body for one API version: a field tied to a feature the platform's version lacks is left out.</summary>
public sealed class OsbBody(Version version)
{
    private readonly JsonObject _fields = [];

    public OsbBody Add(string name, JsonNode? value)
    {
        _fields[name] = value;
        return this;
    }

    /// <summary>Adds the field only if the platform's version has the feature and there is a value.</summary>
    public OsbBody Add(ApiFeature feature, string name, JsonNode? value) =>
        version.Supports(feature) && value is not null ? Add(name, value) : this;

    public JsonObject Build() => _fields;
}
