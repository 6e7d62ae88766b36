namespace EventSourced.Provisioners.Backends.Simulated;

/// <summary>
/// A modelled IaaS for scale tests and benchmarks (section "Provisioners:Simulated"): no process is started and nothing
/// is stored; each step takes <see cref="StepLatency"/> and at most <see cref="Capacity"/> servers exist at once.
/// Never the default and never real.
/// </summary>
public sealed class SimulatedBackendOptions
{
    public const string SectionName = "Provisioners:Simulated";

    public TimeSpan StepLatency { get; set; } = TimeSpan.Zero;
    public int Capacity { get; set; } = 100_000;
}
