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

    /// <summary>
    /// True keeps the model's disks, servers and logins in the deployment's PostgreSQL (<see cref="SharedSimulatedBackend"/>),
    /// so that every worker sees them, as workers see one real IaaS. False (the default, what the benchmarks measure: the
    /// broker's own paths only) keeps them in this process's memory, which is right for one worker only.
    /// </summary>
    public bool Shared { get; set; }
}
