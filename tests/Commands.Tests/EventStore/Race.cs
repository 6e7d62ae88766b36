namespace EventSourced.Commands.Tests.EventStore;

/// <summary>Starts every racer at once (behind one gate, on pool threads) and returns their results in racer order.</summary>
public static class Race
{
    public static async Task<T[]> Run<T>(int racers, Func<int, Task<T>> racer)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Enumerable.Range(0, racers).Select(i => Task.Run(async () =>
        {
            await gate.Task;
            return await racer(i);
        })).ToArray();
        gate.SetResult();
        return await Task.WhenAll(running);
    }
}
