using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Brokers;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Instances;
using Microsoft.Extensions.Primitives;

namespace EventSourced.ServiceManager.Osb;

/// <summary>
/// <c>/v1/osb/{broker_id}/v2/…</c>: the manager as a broker towards registered platforms, and as a platform towards the
/// registered brokers. Every call is authenticated as a platform (<see cref="Authentication"/>); the catalog is that
/// platform's view of the broker's; every instance and binding is recorded with its platform before the broker is asked,
/// and what the broker answers is recorded and handed back to the platform as the broker gave it.
/// </summary>
public static class OsbProxy
{
    public static readonly string[] ForwardedHeaders = ["X-Broker-API-Version", "X-Broker-API-Originating-Identity", "X-Broker-API-Request-Identity"];

    public static RouteGroupBuilder MapOsbProxy(this RouteGroupBuilder osb)
    {
        osb.AddEndpointFilter(async (context, next) =>
            context.HttpContext.Request.Headers["X-Broker-API-Version"].Count == 1
                ? await next(context)
                : ApiErrors.Of(412, "PreconditionFailed", "X-Broker-API-Version is required (2.13 to 2.17)"));
        osb.MapGet("/catalog", OsbCatalog.Get);
        osb.MapPut("/service_instances/{instanceId}", OsbInstances.Provision);
        osb.MapPatch("/service_instances/{instanceId}", OsbInstances.Update);
        osb.MapDelete("/service_instances/{instanceId}", OsbInstances.Deprovision);
        osb.MapGet("/service_instances/{instanceId}", OsbInstances.Fetch);
        osb.MapGet("/service_instances/{instanceId}/last_operation", OsbInstances.LastOperation);
        osb.MapPut("/service_instances/{instanceId}/service_bindings/{bindingId}", OsbBindings.Bind);
        osb.MapDelete("/service_instances/{instanceId}/service_bindings/{bindingId}", OsbBindings.Unbind);
        osb.MapGet("/service_instances/{instanceId}/service_bindings/{bindingId}", OsbBindings.Fetch);
        osb.MapGet("/service_instances/{instanceId}/service_bindings/{bindingId}/last_operation", OsbBindings.LastOperation);
        return osb;
    }

    /// <summary>The OSB headers the platform sent, passed on to the broker.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Headers(HttpRequest request) =>
        ForwardedHeaders.Where(h => request.Headers.ContainsKey(h)).Select(h => KeyValuePair.Create(h, request.Headers[h].ToString()));

    /// <summary>The broker's answer as the platform gets it: status, body, Retry-After.</summary>
    public static IResult Relay(BrokerAnswer answer, HttpContext http)
    {
        if (answer.RetryAfter is { } retry) http.Response.Headers.RetryAfter = retry;
        return Results.Content(answer.Body.Length == 0 ? "{}" : answer.Body, "application/json", statusCode: answer.Status);
    }

    public static IResult Unreachable(BrokerUnreachable e) => ApiErrors.BrokerError(502, e.Message);

    /// <summary>A read (GET) passed to the broker and its answer relayed; nothing is recorded.</summary>
    public static async Task<IResult> Pass(HttpContext http, BrokerClient client, Broker broker, string pathAndQuery)
    {
        try
        {
            return Relay(await client.Send(broker, HttpMethod.Get, pathAndQuery, null, Headers(http.Request), http.RequestAborted), http);
        }
        catch (BrokerUnreachable e)
        {
            return Unreachable(e);
        }
    }

    /// <summary>
    /// Sends the platform's request on to the broker and records what came of it (its answer as an outcome of
    /// <paramref name="type"/>, or that it could not be reached) before the platform gets the answer.
    /// </summary>
    public static async Task<IResult> Forward(HttpContext http, BrokerClient client, Broker broker, HttpMethod method,
        string pathAndQuery, JsonObject? body, string type, Func<Outcome, Task> record)
    {
        BrokerAnswer answer;
        try
        {
            answer = await client.Send(broker, method, pathAndQuery, body, Headers(http.Request), http.RequestAborted);
        }
        catch (BrokerUnreachable e)
        {
            await record(new Outcome.Broken(e.Message));
            return Unreachable(e);
        }
        await record(Outcome.Of(answer, type));
        return Relay(answer, http);
    }

    /// <summary>A query string with <paramref name="replace"/>d parameters (the ids the broker knows instead of the platform's).</summary>
    public static string Query(HttpRequest request, params (string Name, string Value)[] replace)
    {
        var query = request.Query.ToDictionary(q => q.Key, q => q.Value);
        foreach (var (name, value) in replace) if (query.ContainsKey(name)) query[name] = new StringValues(value);
        return Microsoft.AspNetCore.Http.QueryString.Create(query).ToString();
    }

    public static (JsonObject? Value, string? Error) OptionalObject(JsonObject body, string field) =>
        !body.TryGetPropertyValue(field, out var node) || node is null ? (null, null)
        : node is JsonObject o ? (o, null) : (null, $"{field} must be an object");
}
