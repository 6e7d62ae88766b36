namespace EventSourced.Commands.ServiceInstances;

/// <summary>The OSB spelling of operation states, in one place.</summary>
public static class OperationStates
{
    public const string InProgress = "in progress";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public static string Osb(OperationState state) => state switch
    {
        OperationState.InProgress => InProgress,
        OperationState.Succeeded => Succeeded,
        _ => Failed,
    };

    public static OperationState Parse(string osb) => osb switch
    {
        InProgress => OperationState.InProgress,
        Succeeded => OperationState.Succeeded,
        Failed => OperationState.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(osb), osb, "Not an OSB operation state."),
    };
}
