namespace EventSourced.Commands.Tests.EventStore;

/// <summary>
/// Starts every racer at once and returns their results in racer order: each racer runs on a pool thread and waits at
/// a barrier that opens only when the last of them has arrived, so none starts before all are ready.
/// </summary>
public static class Race
{
    public static async Task<T[]> Run<T>(int racers, Func<int, Task<T>> racer)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;
        var running = Enumerable.Range(0, racers).Select(i => Task.Run(async () =>
        {
            if (Interlocked.Increment(ref arrived) == racers) gate.SetResult();
            await gate.Task;
            return await racer(i);
        })).ToArray();
        return await Task.WhenAll(running);
    }
}

/// <summary>
/// Makes the first <c>count</c> callers of <see cref="Arrive"/> wait for each other (bounded), later ones pass: put in a
/// decision, it holds the first racers between their read and their commit until the others have read too, so a race
/// test cannot pass because the racers happened to run one after the other.
/// </summary>
public sealed class Rendezvous(int count, double seconds = 10)
{
    private readonly CountdownEvent _waiting = new(count);
    private int _arrived;

    /// <summary>True when this caller met the others (or came later); false if the others did not come in time.</summary>
    public bool Arrive()
    {
        if (Interlocked.Increment(ref _arrived) > count) return true;
        _waiting.Signal();
        return _waiting.Wait(TimeSpan.FromSeconds(seconds));
    }
}
