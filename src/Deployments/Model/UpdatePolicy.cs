namespace EventSourced.Deployments.Model;

/// <summary>How a group's instances are rolled: <see cref="Canaries"/> first, then at most
/// <see cref="MaxInFlight"/> at a time; <see cref="Serial"/> groups wait for the groups before them.
/// <see cref="Surge"/> bounds the VMs above the desired count: null (not given) keeps today's delete-create,
/// 0 forces delete-create, more chooses create-swap-delete (seed 002).</summary>
public sealed record UpdatePolicy(int Canaries, InFlight MaxInFlight, bool Serial, int? Surge)
{
    public static readonly UpdatePolicy Default = new(1, new InFlight(1, false), true, null);

    public UpdateStrategy Strategy => Surge is > 0 ? UpdateStrategy.CreateSwapDelete : UpdateStrategy.DeleteCreate;
}

public enum UpdateStrategy { DeleteCreate, CreateSwapDelete }

/// <summary><c>max_in_flight</c>: a number, or a percentage of the group's instances (rounded down, at least 1).</summary>
public readonly record struct InFlight(int Value, bool IsPercent)
{
    public int For(int instances) => IsPercent ? Math.Max(1, instances * Value / 100) : Math.Max(1, Value);
    public override string ToString() => IsPercent ? $"{Value}%" : Value.ToString();
}

/// <summary>An <c>update</c> block as written: every field optional, so a group's block overrides only what it names.</summary>
public sealed record UpdateBlock(int? Canaries, InFlight? MaxInFlight, bool? Serial, int? Surge)
{
    public UpdatePolicy Over(UpdatePolicy inherited) => new(
        Canaries ?? inherited.Canaries, MaxInFlight ?? inherited.MaxInFlight, Serial ?? inherited.Serial, Surge ?? inherited.Surge);
}
