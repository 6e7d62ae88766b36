using EventSourced.Broker.Osb;
using EventSourced.Commands.ServiceInstances;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>The one mapping from domain errors to OSB statuses and error codes: one test per row.</summary>
public sealed class OsbErrorTableTests
{
    private static (int? Status, string? Error) Render(IResult result) =>
        (((IStatusCodeHttpResult)result).StatusCode, (((IValueHttpResult)result).Value as OsbError)?.Error);

    [Theory]
    [InlineData(DomainErrorCode.Invalid, 400, "BadRequest")]
    [InlineData(DomainErrorCode.NotFound, 404, "NotFound")]
    [InlineData(DomainErrorCode.Gone, 410, null)]
    [InlineData(DomainErrorCode.Conflict, 409, "Conflict")]
    [InlineData(DomainErrorCode.ConcurrencyError, 422, "ConcurrencyError")]
    [InlineData(DomainErrorCode.MaintenanceInfoConflict, 422, "MaintenanceInfoConflict")]
    [InlineData(DomainErrorCode.RequiresApp, 422, "RequiresApp")]
    public void DomainError_MapsToItsRow(DomainErrorCode code, int status, string? error) =>
        Assert.Equal((status, error), Render(OsbErrors.From(new DomainError(code, "why"))));

    [Fact]
    public void EveryDomainError_HasARow() =>
        Assert.All(Enum.GetValues<DomainErrorCode>(), code => Assert.True(OsbErrors.ByDomainError.ContainsKey(code), code.ToString()));

    [Fact]
    public void Gone_HasAnEmptyBody() =>
        Assert.Equal("{ }", ((IValueHttpResult)OsbErrors.From(new DomainError(DomainErrorCode.Gone, "gone"))).Value!.ToString());

    [Fact]
    public void Helpers_UseTheirRows()
    {
        Assert.Equal((422, "MaintenanceInfoConflict"), Render(OsbErrors.MaintenanceInfoConflict("other version")));
        Assert.Equal((422, "RequiresApp"), Render(OsbErrors.RequiresApp()));
        Assert.Equal((422, "AsyncRequired"), Render(OsbErrors.AsyncRequired()));
        Assert.Equal((401, "Unauthorized"), Render(OsbErrors.Unauthorized()));
        Assert.Equal((412, "PreconditionFailed"), Render(OsbErrors.UnsupportedApiVersion("2.12")));
    }

    [Fact]
    public void Validation_OnlyADomainCodedFailure_GetsItsRow() =>
        Assert.Equal((422, "MaintenanceInfoConflict"),
            Render(OsbErrors.From(new ValidationResult([new ValidationFailure("x", "y") { ErrorCode = "MaintenanceInfoConflict" }]))));

    [Fact]
    public void Validation_AnyOtherFailure_Is400ListingThemAll()
    {
        var result = OsbErrors.From(new ValidationResult([
            new ValidationFailure("x", "first.") { ErrorCode = "MaintenanceInfoConflict" },
            new ValidationFailure("y", "second.") { ErrorCode = "NotEmptyValidator" },
        ]));
        Assert.Equal((400, "BadRequest"), Render(result));
        Assert.Equal("first. second.", ((OsbError)((IValueHttpResult)result).Value!).Description);
    }
}
