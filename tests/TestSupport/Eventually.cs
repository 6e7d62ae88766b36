using Xunit;

namespace EventSourced.TestSupport;

/// <summary>
/// The one way tests wait for something asynchronous: poll until it holds, and past the deadline fail (never return
/// quietly) naming what was awaited and the last value seen, so a timeout says what the system did instead.
/// </summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds and returns that value.</summary>
    /// <param name="what">What is awaited, as the failure message should name it.</param>
    /// <param name="details">More to show on a failure (e.g. a broker's output), read only then.</param>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, double seconds = 15, Func<string>? details = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Not within {seconds} s: {what}; last seen: {Describe(value)}" + (details is null ? "" : $"\n{details()}"));
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it is true.</summary>
    public static Task True(Func<Task<bool>> condition, string what, double seconds = 15, Func<string>? details = null) =>
        Until(condition, holds => holds, what, seconds, details);

    /// <summary>As <see cref="True(Func{Task{bool}}, string, double, Func{string}?)"/> for a condition read in memory.</summary>
    public static Task True(Func<bool> condition, string what, double seconds = 15, Func<string>? details = null) =>
        Until(() => Task.FromResult(condition()), holds => holds, what, seconds, details);

    private static string Describe<T>(T value) => value switch
    {
        null => "nothing",
        string text => $"\"{text}\"",
        System.Collections.IEnumerable items and not string => $"[{string.Join(", ", items.Cast<object?>().Select(i => i?.ToString() ?? "null"))}]",
        _ => value.ToString() ?? "nothing",
    };
}
