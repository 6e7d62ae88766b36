using EventSourced.Commands.ServiceInstances;
using static EventSourced.Commands.Tests.ServiceInstances.BindingGiven;

namespace EventSourced.Commands.Tests.ServiceInstances;

public sealed class BindingOutcomeDecisionsTests
{
    [Fact]
    public void Outcome_OfTheOperationInProgress_IsRecorded()
    {
        var accepted = Assert.IsType<Decision.Accepted>(ServiceBindingDecisions.Decide(Binding(Requested()),
            new RecordBindingOutcome(BindingId, BindOperation, Created())));
        Assert.IsType<ServiceBindingCreated>(Assert.Single(accepted.Events));
    }

    [Fact]
    public void Outcome_ForAnotherBindingOperation_Conflicts() =>
        Assert.Equal(DomainErrorCode.Conflict, Assert.IsType<Decision.Rejected>(ServiceBindingDecisions.Decide(Binding(Requested()),
            new RecordBindingOutcome(BindingId, Guid.NewGuid(), Created()))).Error.Code);

    [Fact]
    public void Outcome_OfAFinishedOperation_Conflicts() =>
        Assert.Equal(DomainErrorCode.Conflict, Assert.IsType<Decision.Rejected>(ServiceBindingDecisions.Decide(CreatedBinding(),
            new RecordBindingOutcome(BindingId, BindOperation, Created()))).Error.Code);

    [Fact]
    public void Outcome_ForAMissingBinding_Conflicts() =>
        Assert.Equal(DomainErrorCode.Conflict, Assert.IsType<Decision.Rejected>(ServiceBindingDecisions.Decide(null,
            new RecordBindingOutcome(BindingId, BindOperation, Created()))).Error.Code);
}
