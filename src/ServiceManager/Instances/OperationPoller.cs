using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Brokers;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Resources;
using Marten;
using Microsoft.Extensions.Options;

namespace EventSourced.ServiceManager.Instances;

/// <summary>
/// The manager's own follow-up of what it asked brokers to do, every <see cref="ServiceManagerOptions.PollInterval"/>:
/// it polls the last_operation of every operation a broker accepted (platforms need not poll for the manager to know),
/// fails an operation past its deadline (the plan's maximum_polling_duration), and mitigates orphans: a creation that
/// failed in a way that may have left something at the broker is deleted there, again each round, until the broker says
/// it is gone; and fails the registry's asynchronous operations that the manager did not finish by their deadline (it
/// stopped while one ran). A round's failures are logged and retried in the next round.
/// </summary>
public sealed class OperationPoller(
    IDocumentStore store, ManagerStreams streams, BrokerClient client, InstanceRecorder recorder, AsyncOperations asyncOperations, TimeProvider clock,
    IOptions<ServiceManagerOptions> options, ILogger<OperationPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Round(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "A round of polling brokers failed; retrying in {Interval}", options.Value.PollInterval);
            }
            await Task.Delay(options.Value.PollInterval, clock, stoppingToken);
        }
    }

    public async Task Round(CancellationToken ct)
    {
        List<ResourceView> operations;
        await using (var session = store.QuerySession())
            operations = (await session.Query<ResourceView>().Where(v => v.Type == ResourceTypes.Operations).ToListAsync(ct)).ToList();
        foreach (var view in operations)
        {
            var operation = JsonNode.Parse(view.Json)!.AsObject();
            var running = operation["state"]!.GetValue<string>() == Operation.InProgress;
            var orphan = operation["orphan_mitigation"]?.GetValue<bool>() == true;
            if (!running && !orphan) continue;
            var resourceId = operation["resource_id"]!.GetValue<string>();
            var resourceType = operation["resource_type"]!.GetValue<string>()["/v1/".Length..];
            try
            {
                if (operation["platform_id"]?.GetValue<string>() == "service-manager")
                {
                    if (running && clock.GetUtcNow() > DateTimeOffset.Parse(operation["deadline"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))
                        await asyncOperations.Finish(resourceType, resourceId, view.ResourceId, new OperationFailed(view.ResourceId,
                            "the manager did not finish it by its deadline (it may have stopped meanwhile); check the resource and try again", false, clock.GetUtcNow()), ct);
                }
                else if (resourceType == ResourceTypes.Instances) await FollowInstance(resourceId, ct);
                else await FollowBinding(resourceId, ct);
            }
            catch (Exception e) when (e is BrokerUnreachable or Commands.EventStore.EventStoreFailureException)
            {
                logger.LogWarning("Following {Resource} failed: {Reason}", resourceId, e.Message);
            }
        }
    }

    private async Task FollowInstance(string instanceId, CancellationToken ct)
    {
        var instance = await streams.Read<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(instanceId), ct);
        var broker = await streams.Read<Broker, Broker>(Broker.StreamKey(instance.BrokerId), ct);
        if (instance.LastOperation is not { } last || !broker.Exists) return;
        if (last.Running)
        {
            if (clock.GetUtcNow() > last.Deadline)
            {
                await recorder.RecordInstance(instanceId, last.Id, new Outcome.Broken(
                    $"the broker did not finish it within its maximum polling duration (deadline {Listing.Time(last.Deadline)})"), ct);
                return;
            }
            if (!last.Accepted) return;
            var query = last.BrokerOperation is null ? "" : $"?operation={Uri.EscapeDataString(last.BrokerOperation)}";
            var answer = await client.Send(broker, HttpMethod.Get, $"/v2/service_instances/{instanceId}/last_operation{query}", null, null, ct);
            await recorder.RecordInstance(instanceId, last.Id, Outcome.OfLastOperation(answer, last.Type), ct);
            return;
        }
        if (!instance.OrphanMitigationPending) return;
        var path = $"/v2/service_instances/{instanceId}?accepts_incomplete=true&service_id={Uri.EscapeDataString(instance.ServiceCatalogId)}" +
                   $"&plan_id={Uri.EscapeDataString(instance.PlanCatalogId)}";
        await Mitigate<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(instanceId), broker, path, s => s.LastOperation, ct);
    }

    private async Task FollowBinding(string bindingId, CancellationToken ct)
    {
        var binding = await streams.Read<ManagedBinding, ManagedBinding>(ManagedBinding.StreamKey(bindingId), ct);
        var broker = await streams.Read<Broker, Broker>(Broker.StreamKey(binding.BrokerId), ct);
        if (binding.LastOperation is not { } last || !broker.Exists) return;
        var basePath = $"/v2/service_instances/{binding.TargetInstanceId}/service_bindings/{bindingId}";
        if (last.Running)
        {
            if (clock.GetUtcNow() > last.Deadline)
            {
                await recorder.RecordBinding(bindingId, last.Id, new Outcome.Broken("the broker did not finish it within its maximum polling duration"), ct);
                return;
            }
            if (!last.Accepted) return;
            var query = last.BrokerOperation is null ? "" : $"?operation={Uri.EscapeDataString(last.BrokerOperation)}";
            var answer = await client.Send(broker, HttpMethod.Get, $"{basePath}/last_operation{query}", null, null, ct);
            await recorder.RecordBinding(bindingId, last.Id, Outcome.OfLastOperation(answer, last.Type), ct);
            return;
        }
        if (!last.OrphanMitigationPending) return;
        var path = $"{basePath}?accepts_incomplete=true&service_id={Uri.EscapeDataString(binding.ServiceCatalogId)}&plan_id={Uri.EscapeDataString(binding.PlanCatalogId)}";
        await Mitigate<ManagedBinding, ManagedBinding>(ManagedBinding.StreamKey(bindingId), broker, path, s => s.LastOperation, ct);
    }

    /// <summary>One orphan-mitigation attempt: DELETE at the broker; gone (200, 410) ends it, anything else is retried next round.</summary>
    private async Task Mitigate<TKind, TState>(string streamKey, Broker broker, string path, Func<TState, Operation?> last, CancellationToken ct)
        where TKind : IStreamKind<TState>
    {
        string? why;
        bool gone;
        try
        {
            var answer = await client.Send(broker, HttpMethod.Delete, path, null, null, ct);
            gone = answer.Status is 200 or 410;
            why = gone ? null : answer.Status == 202 ? "the broker is deleting it" : $"the broker answered {answer.Status}: {Outcome.Excerpt(answer.Body)}";
        }
        catch (BrokerUnreachable e)
        {
            gone = false;
            why = e.Message;
        }
        if (!gone) logger.LogInformation("Orphan mitigation of {Stream}: {Why}", streamKey, why);
        await recorder.RecordMitigation<TKind, TState>(streamKey, gone, why, last, ct);
    }
}
