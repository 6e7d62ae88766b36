using System.Text.Json.Nodes;
using EventSourced.Commands.ServiceInstances;
using EventSourced.ServiceManager.Brokers;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Instances;
using EventSourced.ServiceManager.Platforms;
using EventSourced.ServiceManager.Resources;
using Marten;

namespace EventSourced.ServiceManager.Osb;

/// <summary>
/// Reference instances: an instance of the <c>reference-instance</c> plan names a shared instance (parameter
/// <c>referenced_instance_id</c>) of the same offering, made by any platform; it is recorded at once and never reaches
/// the broker, and binding it binds the shared instance. A reference holds the shared instance's lock shared, so
/// unsharing or deleting it (exclusive) cannot pass while a reference is being made.
/// </summary>
public static class OsbReferences
{
    public static string InstanceLock(string instanceId) => $"instance:{instanceId}";

    public static async Task<IResult> Provision(Broker broker, CatalogOffering offering, string instanceId, string platformId, JsonObject? context,
        JsonObject? parameters, HttpContext http, ManagerStreams streams, TimeProvider clock)
    {
        var ct = http.RequestAborted;
        if (parameters?[ReferencePlan.Parameter] is not JsonValue v || !v.TryGetValue<string>(out var referencedId) || !Identifiers.Valid(referencedId))
            return ApiErrors.BadRequest($"parameters.{ReferencePlan.Parameter} must name the shared instance to refer to");
        var catalog = BrokerCatalog.Of(broker.Id, broker.Catalog);
        await using (var query = streams.Store.QuerySession())
        {
            var visible = await Visibilities.VisibilityEndpoints.VisiblePlans(query, platformId, ct);
            if (!catalog.Plans.Any(p => p.Offering.Id == offering.Id && visible.Contains(p.Id)))
                return ApiErrors.NotFound("the reference plan is not visible to this platform");
        }
        var contextText = (context ?? []).ToJsonString();
        var parametersText = parameters!.ToJsonString();
        var operationId = Guid.NewGuid().ToString();
        var now = clock.GetUtcNow();
        var decision = await streams.Handle<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(instanceId), async (state, session, token) =>
        {
            if (state.Exists)
                return state.PlatformId == platformId && state.ReferencedInstanceId == referencedId && state.Ready
                    ? new Decision.AlreadyDone()
                    : Decision.Reject(DomainErrorCode.Conflict, $"service instance '{instanceId}' already exists with other attributes");
            await Locks.Shared(session, PlatformEndpoints.PlatformLock(platformId), token);
            await Locks.Shared(session, InstanceLock(referencedId), token);
            var target = ManagedInstance.Fold((await session.Events.FetchStreamAsync(ManagedInstance.StreamKey(referencedId), token: token))
                .Select(e => (EventSourced.Commands.EventStore.IDomainEvent)e.Data));
            if (!target.Exists || !target.Shared || !target.Ready || target.IsReference)
                return Decision.Reject(DomainErrorCode.Invalid, $"{ReferencePlan.Parameter} '{referencedId}' is not a shared, ready instance");
            if (target.BrokerId != broker.Id || target.ServiceCatalogId != offering.CatalogId)
                return Decision.Reject(DomainErrorCode.Invalid, $"{ReferencePlan.Parameter} '{referencedId}' is an instance of another service");
            return ManagerStreams.Accept(
                new InstanceProvisionRequested(instanceId, broker.Id, target.ServicePlanId, offering.CatalogId, ReferencePlan.CatalogId(offering.Id), platformId,
                    contextText, parametersText, referencedId, operationId, now, now),
                new OperationSucceeded(operationId, null, now));
        }, ct);
        return decision switch
        {
            Decision.Rejected { Error.Code: DomainErrorCode.Conflict } conflict => ApiErrors.Of(409, "Conflict", conflict.Error.Description),
            Decision.Rejected rejected => DecisionResults.Error(rejected.Error),
            Decision.AlreadyDone => Results.Json(new JsonObject(), statusCode: 200),
            _ => Results.Json(new JsonObject(), statusCode: 201),
        };
    }
}
