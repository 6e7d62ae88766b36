namespace EventSourced.Projections.Tests.Support;

public static class Eventually
{
    public static async Task True(Func<Task<bool>> condition, string because, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Not within {seconds} s: {because}");
            await Task.Delay(20);
        }
    }
}
