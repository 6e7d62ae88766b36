using EventSourced.Commands.ServiceInstances;
using EventSourced.ServiceManager.Hosting;

namespace EventSourced.ServiceManager.Resources;

/// <summary>A refused decision as the registry API's error: one table from domain errors to Peripli's codes.</summary>
public static class DecisionResults
{
    public static IResult Error(DomainError error) => error.Code switch
    {
        DomainErrorCode.Invalid => ApiErrors.BadRequest(error.Description),
        DomainErrorCode.NotFound => ApiErrors.NotFound(error.Description),
        DomainErrorCode.Gone => ApiErrors.Of(410, "Gone", error.Description),
        DomainErrorCode.Conflict => ApiErrors.Conflict(error.Description),
        DomainErrorCode.ConcurrencyError => ApiErrors.ConcurrentOperation(error.Description),
        _ => ApiErrors.Of(422, "UnprocessableEntity", error.Description),
    };

    /// <summary>The refusal, or <paramref name="accepted"/> for a decision that went through.</summary>
    public static IResult Or(this Decision decision, Func<IResult> accepted) =>
        decision is Decision.Rejected rejected ? Error(rejected.Error) : accepted();
}
