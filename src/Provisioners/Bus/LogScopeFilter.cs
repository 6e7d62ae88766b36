using System.Collections.Concurrent;
using System.Reflection;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Bus;

/// <summary>
/// Every line a consumer or the saga logs carries, as scope fields, the service instance, binding and operation of the
/// message it handles (<c>InstanceId</c>, <c>BindingId</c>, <c>OperationId</c>, read from the message's properties of
/// those names) and its <c>MessageType</c>: one operation's lines across nodes are found by one id.
/// </summary>
public sealed class LogScopeFilter<T>(ILogger<LogScopeFilter<T>> log) : IFilter<ConsumeContext<T>> where T : class
{
    private static readonly string[] Fields = ["InstanceId", "BindingId", "OperationId"];
    private static readonly ConcurrentDictionary<Type, (string Name, PropertyInfo Property)[]> Properties = new();

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        var message = context.Message;
        var fields = new List<KeyValuePair<string, object?>> { new("MessageType", message.GetType().Name) };
        foreach (var (name, property) in Properties.GetOrAdd(message.GetType(), Find))
            if (property.GetValue(message) is { } value) fields.Add(new(name, value.ToString()));
        using (log.BeginScope(fields)) await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("logScope");

    private static (string, PropertyInfo)[] Find(Type type) =>
        Fields.Select(name => (name, type.GetProperty(name)))
            .Where(found => found.Item2 is { CanRead: true } p && (p.PropertyType == typeof(Guid) || p.PropertyType == typeof(Guid?)))
            .Select(found => (found.name, found.Item2!))
            .ToArray();
}
