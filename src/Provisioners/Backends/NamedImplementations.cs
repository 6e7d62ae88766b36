using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EventSourced.Provisioners.Backends;

/// <summary>The sub-provisioner implementations marked with <see cref="SubProvisionerImplementationAttribute"/>, registered by name.</summary>
public static class NamedImplementations
{
    /// <summary>
    /// The interfaces of the steps a provisioner stanza names an implementation for, and the snapshots of an instance
    /// implementation (<see cref="ISnapshotBackend"/>, under the name of the instance implementation whose data it dumps).
    /// </summary>
    public static readonly Type[] StepInterfaces = [typeof(IServerBackend), typeof(IStorageBackend), typeof(IDatabaseBackend), typeof(ISnapshotBackend)];

    /// <summary>Every named implementation in the namespace (and below) of <paramref name="namespaceOf"/>'s.</summary>
    public static IReadOnlyList<(string Name, Type Type)> In(Type namespaceOf) =>
        namespaceOf.Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.Namespace?.StartsWith(namespaceOf.Namespace!, StringComparison.Ordinal) == true)
            .Select(t => (t.GetCustomAttribute<SubProvisionerImplementationAttribute>()?.Name, Type: t))
            .Where(n => n.Name is not null)
            .Select(n => (n.Name!, n.Type))
            .ToList();

    /// <summary>Each implementation as one singleton of its class, and as the keyed service (its name) of every step interface it implements.</summary>
    public static IServiceCollection AddNamedImplementations(this IServiceCollection services, Type namespaceOf)
    {
        foreach (var (name, type) in In(namespaceOf))
        {
            services.TryAddSingleton(type);
            foreach (var step in StepInterfaces.Where(step => step.IsAssignableFrom(type)))
                services.AddKeyedSingleton(step, name, (sp, _) => sp.GetRequiredService(type));
        }
        return services;
    }

    /// <summary>One object standing in for every named implementation of <paramref name="namespaceOf"/>'s namespace (the simulated backend).</summary>
    public static IServiceCollection AddStandIn<T>(this IServiceCollection services, Type namespaceOf) where T : class
    {
        foreach (var (name, _) in In(namespaceOf))
        foreach (var step in StepInterfaces.Where(step => step.IsAssignableFrom(typeof(T))))
            services.AddKeyedSingleton(step, name, (sp, _) => sp.GetRequiredService<T>());
        return services;
    }
}
