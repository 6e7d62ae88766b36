using System.Reflection;

namespace EventSourced.Commands.EventStore;

/// <summary>Maps event payload types to the names stored in the log (the type's Name) and back.</summary>
public sealed class EventTypeRegistry
{
    private readonly Dictionary<string, Type> typesByName;
    private readonly Dictionary<Type, string> namesByType;

    private EventTypeRegistry(Dictionary<string, Type> typesByName)
    {
        this.typesByName = typesByName;
        namesByType = typesByName.ToDictionary(pair => pair.Value, pair => pair.Key);
    }

    public static EventTypeRegistry FromAssemblies(params Assembly[] assemblies)
    {
        var eventTypes = assemblies
            .Distinct()
            .SelectMany(assembly => assembly.GetTypes())
            .Where(type => type is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false }
                           && typeof(IDomainEvent).IsAssignableFrom(type));

        var typesByName = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var type in eventTypes)
        {
            if (!typesByName.TryAdd(type.Name, type))
                throw new InvalidOperationException(
                    $"Event types '{typesByName[type.Name].FullName}' and '{type.FullName}' would both be stored as " +
                    $"'{type.Name}': event type names must be unique.");
        }
        return new EventTypeRegistry(typesByName);
    }

    public string NameOf(Type type) =>
        namesByType.TryGetValue(type, out var name)
            ? name
            : throw new InvalidOperationException(
                $"'{type.FullName}' is not a registered event type: it must be a non-abstract class implementing " +
                $"{nameof(IDomainEvent)} in one of the assemblies given to {nameof(EventTypeRegistry)}.");

    public Type TypeOf(string name) =>
        typesByName.TryGetValue(name, out var type)
            ? type
            : throw new InvalidOperationException(
                $"The stored event type '{name}' has no registered class: was the event renamed or its assembly not registered?");
}
