using EventSourced.Commands.ServiceInstances;
using FluentValidation.Results;

namespace EventSourced.Broker.Ops;

/// <summary>The ops API's error body: a code and a sentence for the operator.</summary>
public sealed record OpsError(string Error, string Description);

/// <summary>Every way an ops request can fail, and its status: one table, one place (as <c>OsbErrors</c> is for OSB).</summary>
public static class OpsErrors
{
    public static readonly IReadOnlyDictionary<DomainErrorCode, (int Status, string Error)> ByDomainError =
        new Dictionary<DomainErrorCode, (int, string)>
        {
            [DomainErrorCode.Invalid] = (StatusCodes.Status400BadRequest, "BadRequest"),
            [DomainErrorCode.NotFound] = (StatusCodes.Status404NotFound, "NotFound"),
            // An instance that is gone is one the operator cannot deprovision: to the ops API it does not exist.
            [DomainErrorCode.Gone] = (StatusCodes.Status404NotFound, "NotFound"),
            [DomainErrorCode.Conflict] = (StatusCodes.Status409Conflict, "Conflict"),
            // Another job of the instance runs: a conflict the operator resolves by waiting for it.
            [DomainErrorCode.ConcurrencyError] = (StatusCodes.Status409Conflict, "ConcurrencyError"),
            [DomainErrorCode.Unprocessable] = (StatusCodes.Status422UnprocessableEntity, "Unprocessable"),
            [DomainErrorCode.MaintenanceInfoConflict] = (StatusCodes.Status422UnprocessableEntity, "MaintenanceInfoConflict"),
            [DomainErrorCode.RequiresApp] = (StatusCodes.Status422UnprocessableEntity, "RequiresApp"),
        };

    /// <summary>Documents the statuses a route answers with an <see cref="OpsError"/>.</summary>
    public static RouteHandlerBuilder ProducesErrors(this RouteHandlerBuilder route, params int[] statuses)
    {
        foreach (var status in statuses) route.Produces<OpsError>(status);
        return route;
    }

    public static IResult From(DomainError error)
    {
        var (status, code) = ByDomainError[error.Code];
        return Results.Json(new OpsError(code, error.Description), statusCode: status);
    }

    public static IResult From(ValidationResult validation) =>
        BadRequest(string.Join(" ", validation.Errors.Select(e => e.ErrorMessage)));

    public static IResult BadRequest(string description) =>
        Results.Json(new OpsError("BadRequest", description), statusCode: StatusCodes.Status400BadRequest);

    public static IResult NotFound(string description) =>
        Results.Json(new OpsError("NotFound", description), statusCode: StatusCodes.Status404NotFound);

    public static IResult Unauthorized() =>
        Results.Json(new OpsError("Unauthorized", "Valid ops credentials are required (HTTP basic authentication, Ops__Username / Ops__Password)."),
            statusCode: StatusCodes.Status401Unauthorized);
}
