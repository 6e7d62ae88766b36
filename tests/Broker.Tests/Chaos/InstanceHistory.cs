using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using JasperFx.Events;

namespace EventSourced.Broker.Tests.Chaos;

/// <summary>One instance's stream as the log holds it (timestamps included): what the audit judges and what a report shows.</summary>
internal sealed record InstanceHistory(Guid InstanceId, IReadOnlyList<IEvent> Events)
{
    public IEnumerable<IDomainEvent> DomainEvents => Events.Select(e => (IDomainEvent)e.Data);

    public ServiceInstance State => ServiceInstance.Fold(DomainEvents);

    public bool Settled => State.Operations.All(operation => !operation.InProgress);

    public int Count<T>() where T : IDomainEvent => DomainEvents.OfType<T>().Count();

    /// <summary>
    /// The events with version, global sequence (to match the daemon's log lines), time, type and their operation, one a
    /// line.
    /// </summary>
    public string Describe() => string.Join('\n', Events.Select(e =>
        $"    v{e.Version,-3} seq {e.Sequence,-5} {e.Timestamp:HH:mm:ss.fff} {e.Data.GetType().Name,-40} op {OperationOf(e.Data)?.ToString() ?? "-"}{Detail(e.Data)}"));

    public static Guid? OperationOf(object data) => data.GetType().GetProperty("OperationId")?.GetValue(data) as Guid?;

    /// <summary>Every instance stream of the environment's log.</summary>
    public static async Task<IReadOnlyList<InstanceHistory>> All(BrokerEnvironment environment)
    {
        await using var command = environment.Database.DataSource.CreateCommand(
            $"SELECT id FROM broker.mt_streams WHERE id LIKE '{ServiceInstance.StreamPrefix}%' ORDER BY id");
        var keys = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) keys.Add(reader.GetString(0));
        var histories = new List<InstanceHistory>();
        foreach (var key in keys)
            histories.Add(new InstanceHistory(Guid.Parse(key[ServiceInstance.StreamPrefix.Length..]), await environment.Stream(key)));
        return histories;
    }

    public static async Task<InstanceHistory> Of(BrokerEnvironment environment, Guid instanceId) =>
        new(instanceId, await environment.Stream(ServiceInstance.StreamId(instanceId)));

    private static string Detail(object data) => data switch
    {
        ServerProvisioned e => $" port {e.Port}",
        ServiceInstanceUpdateRequested e => $" {e.Parameters}",
        ResourceProvisioningFailed e => $" {e.Resource}: {e.Reason}",
        ResourceUpdateFailed e => $" {e.Resource}: {e.Reason}",
        ResourceDeprovisioningFailed e => $" {e.Resource}: {e.Reason}",
        ServiceInstanceProvisioningFailed e => $" {e.Reason}",
        ServiceInstanceUpdateFailed e => $" {e.Reason}",
        _ => "",
    };
}
