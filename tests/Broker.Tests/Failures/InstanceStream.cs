using EventSourced.TestSupport;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>Reads an instance's stream straight from the environment's event store.</summary>
internal static class InstanceStream
{
    public static Task<IReadOnlyList<IDomainEvent>> Events(BrokerEnvironment environment, Guid instanceId) =>
        environment.InstanceEvents(instanceId);

    public static Task WaitFor<T>(BrokerEnvironment environment, Guid instanceId, BrokerProcess broker, int seconds = 60) where T : IDomainEvent =>
        Eventually.Until(() => Events(environment, instanceId), events => events.OfType<T>().Any(),
            $"a {typeof(T).Name} in instance {instanceId}'s stream", seconds, () => broker.Output);

    /// <summary>The names of the events in stream order, for messages that show what did happen.</summary>
    public static string Describe(IEnumerable<IDomainEvent> events) => string.Join(", ", events.Select(e => e.GetType().Name));
}
