using System.Text.Json;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Projections.Tests.Support;

/// <summary>Bindings compared as stored (their operations are an immutable list, which records compare by reference).</summary>
public sealed class BindingJson : IEqualityComparer<ServiceBinding?>
{
    public static readonly BindingJson Comparer = new();

    public bool Equals(ServiceBinding? x, ServiceBinding? y) =>
        JsonSerializer.Serialize(x, EventJson.Options) == JsonSerializer.Serialize(y, EventJson.Options);

    public int GetHashCode(ServiceBinding? obj) => JsonSerializer.Serialize(obj, EventJson.Options).GetHashCode();
}
