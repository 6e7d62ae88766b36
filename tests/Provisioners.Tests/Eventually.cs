namespace EventSourced.Provisioners.Tests;

internal static class Eventually
{
    /// <summary>Polls <paramref name="probe" /> until <paramref name="done" /> holds, failing with the last value seen after the deadline.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {seconds}s waiting for {what}; last seen: {value?.ToString() ?? "nothing"}");
            await Task.Delay(50);
        }
    }
}
