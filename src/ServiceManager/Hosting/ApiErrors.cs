using System.Text.Json.Nodes;

namespace EventSourced.ServiceManager.Hosting;

/// <summary>Peripli's error object <c>{"error", "description"}</c>, one factory per error code the API uses.</summary>
public static class ApiErrors
{
    public static IResult Of(int status, string error, string description) =>
        Results.Json(new JsonObject { ["error"] = error, ["description"] = description }, statusCode: status);

    public static IResult BadRequest(string description) => Of(400, "BadRequest", description);
    public static IResult InvalidFieldQuery(string description) => Of(400, "InvalidFieldQuery", description);
    public static IResult InvalidLabelQuery(string description) => Of(400, "InvalidLabelQuery", description);
    public static IResult Unauthorized() => Of(401, "Unauthorized", "The supplied credentials could not be authorized.");
    public static IResult NotFound(string description) => Of(404, "NotFound", description);
    public static IResult Conflict(string description) => Of(409, "Conflict", description);
    public static IResult ConcurrentOperation(string description) => Of(422, "ConcurrentOperation", description);
    public static IResult BrokerError(int status, string description) => Of(status, "BrokerError", description);
}
