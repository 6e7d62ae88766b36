using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Chaos;

/// <summary>One kill of a chaos run and the restart that followed it.</summary>
internal sealed record KillRecord(int Number, string Phase, KillSpec Spec, string Trigger, DateTimeOffset KilledAt, TimeSpan Restart)
{
    public override string ToString() =>
        $"kill {Number} ({Phase}) at {KilledAt:HH:mm:ss.fff}: {Spec}, {Trigger}; up again after {Restart.TotalSeconds:0.0} s";
}

/// <summary>
/// The broker of a chaos run: one process at a time on the run's environment, killed on demand and started again at
/// once, as a supervisor would. Callers ask for <see cref="Current"/> and wait while no broker is up; each process's
/// output is kept in a log file for the report.
/// </summary>
internal sealed class ChaoticBroker : IAsyncDisposable
{
    private readonly BrokerEnvironment _environment;
    private readonly string _logDirectory;
    private readonly List<KillRecord> _kills = [];
    private BrokerProcess? _process;
    private TaskCompletionSource<BrokerProcess> _up = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _nextAccepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _generation;

    private ChaoticBroker(BrokerEnvironment environment, string logDirectory, BrokerProcess process)
    {
        _environment = environment;
        _logDirectory = logDirectory;
        _process = process;
        _up.SetResult(process);
        LastStartedAt = DateTimeOffset.UtcNow;
    }

    public IReadOnlyList<KillRecord> Kills { get { lock (_kills) return [.. _kills]; } }

    public DateTimeOffset LastStartedAt { get; private set; }

    /// <summary>The broker that is up, once it is (a request sent to a broker being killed fails and is sent again here).</summary>
    public Task<BrokerProcess> Current => Volatile.Read(ref _up).Task;

    public static async Task<ChaoticBroker> Start(BrokerEnvironment environment, string logDirectory)
    {
        Directory.CreateDirectory(logDirectory);
        return new ChaoticBroker(environment, logDirectory, await BrokerProcess.Start(environment));
    }

    /// <summary>Called by the platform on every 202: a kill waiting for <see cref="KillTrigger.AfterAccepted"/> strikes now.</summary>
    public void Accepted() =>
        Interlocked.Exchange(ref _nextAccepted, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public Task NextAccepted => Volatile.Read(ref _nextAccepted).Task;

    /// <summary>SIGKILLs the running broker as <paramref name="spec"/> says, then starts a new one on the same environment.</summary>
    public async Task KillAndRestart(KillSpec spec, string phase, string trigger)
    {
        var victim = _process ?? throw new InvalidOperationException("no broker runs: the last restart failed");
        Volatile.Write(ref _up, new TaskCompletionSource<BrokerProcess>(TaskCreationOptions.RunContinuationsAsynchronously));
        var killedAt = DateTimeOffset.UtcNow;
        await victim.Kill(entireProcessTree: spec.Scope == KillScope.ProcessTree);
        _process = null;
        await SaveLog(victim);
        await victim.DisposeAsync();
        _process = await BrokerProcess.Start(_environment);
        LastStartedAt = DateTimeOffset.UtcNow;
        lock (_kills) _kills.Add(new KillRecord(_kills.Count + 1, phase, spec, trigger, killedAt, LastStartedAt - killedAt));
        _up.SetResult(_process);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null) return;
        await SaveLog(_process);
        await _process.DisposeAsync();
    }

    private async Task SaveLog(BrokerProcess process) =>
        await File.WriteAllTextAsync(Path.Combine(_logDirectory, $"broker-{++_generation:D2}.log"), process.Output);
}
