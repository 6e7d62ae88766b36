using EventSourced.Commands.ServiceInstances;
using FluentValidation.Results;

namespace EventSourced.Broker.Osb;

/// <summary>The OSB error body: <c>{"error", "description"}</c>; <c>error</c> is only set for the codes the spec names.</summary>
public sealed record OsbError(string? Error, string Description);

/// <summary>Every way a request can fail, and the HTTP status and OSB error code it becomes: one table, one place.</summary>
public static class OsbErrors
{
    public static readonly IReadOnlyDictionary<DomainErrorCode, (int Status, string? Error)> ByDomainError =
        new Dictionary<DomainErrorCode, (int, string?)>
        {
            [DomainErrorCode.Invalid] = (StatusCodes.Status400BadRequest, "BadRequest"),
            [DomainErrorCode.NotFound] = (StatusCodes.Status404NotFound, "NotFound"),
            [DomainErrorCode.Gone] = (StatusCodes.Status410Gone, null),
            [DomainErrorCode.Conflict] = (StatusCodes.Status409Conflict, "Conflict"),
            [DomainErrorCode.ConcurrencyError] = (StatusCodes.Status422UnprocessableEntity, "ConcurrencyError"),
            [DomainErrorCode.Unprocessable] = (StatusCodes.Status422UnprocessableEntity, null),
            [DomainErrorCode.MaintenanceInfoConflict] = (StatusCodes.Status422UnprocessableEntity, "MaintenanceInfoConflict"),
            [DomainErrorCode.RequiresApp] = (StatusCodes.Status422UnprocessableEntity, "RequiresApp"),
        };

    public static IResult From(DomainError error)
    {
        var (status, code) = ByDomainError[error.Code];
        return status == StatusCodes.Status410Gone ? Results.Json(new { }, statusCode: status) : Results.Json(new OsbError(code, error.Description), statusCode: status);
    }

    /// <summary>
    /// A refused request: failures whose error code names a <see cref="DomainErrorCode"/> (e.g. MaintenanceInfoConflict) get
    /// that row's status when they are the only failures; anything else is a 400 listing every failure.
    /// </summary>
    public static IResult From(ValidationResult validation)
    {
        var codes = validation.Errors.Select(e => Enum.GetNames<DomainErrorCode>().Contains(e.ErrorCode) ? Enum.Parse<DomainErrorCode>(e.ErrorCode) : DomainErrorCode.Invalid)
            .Distinct().ToList();
        var description = string.Join(" ", validation.Errors.Select(e => e.ErrorMessage));
        return codes is [var only] ? From(new DomainError(only, description)) : BadRequest(description);
    }

    public static IResult MaintenanceInfoConflict(string description) => From(new DomainError(DomainErrorCode.MaintenanceInfoConflict, description));

    public static IResult RequiresApp() => From(new DomainError(DomainErrorCode.RequiresApp, "This service supports generation of credentials through binding an application only."));

    public static IResult BadRequest(string description) =>
        Results.Json(new OsbError("BadRequest", description), statusCode: StatusCodes.Status400BadRequest);

    public static IResult AsyncRequired() =>
        Results.Json(new OsbError("AsyncRequired", "This service plan requires client support for asynchronous service operations."),
            statusCode: StatusCodes.Status422UnprocessableEntity);

    public static IResult Unauthorized() =>
        Results.Json(new OsbError("Unauthorized", "Valid broker credentials are required (HTTP basic authentication)."),
            statusCode: StatusCodes.Status401Unauthorized);

    public static IResult PayloadTooLarge(long limit) =>
        Results.Json(new OsbError("PayloadTooLarge", $"The request body is larger than this broker accepts ({limit} bytes, setting Broker__MaxRequestBodyBytes)."),
            statusCode: StatusCodes.Status413PayloadTooLarge);

    public static IResult UnsupportedApiVersion(string? version) =>
        Results.Json(new OsbError("PreconditionFailed",
                $"X-Broker-API-Version {(version is null ? "is missing" : $"'{version}' is not supported")}: this broker supports {ApiVersion.Minimum} to {ApiVersion.Maximum}."),
            statusCode: StatusCodes.Status412PreconditionFailed);

    public static IResult NotFound(string description) =>
        Results.Json(new OsbError("NotFound", description), statusCode: StatusCodes.Status404NotFound);
}
