using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Periodic;

/// <summary>
/// A worker's pass run at start and then every <paramref name="interval"/>: a pass that fails is logged as
/// <paramref name="what"/> and tried again at the next tick, so one bad pass (the database restarting) never stops it.
/// </summary>
public abstract class PeriodicPass(TimeSpan interval, TimeProvider clock, ILogger log, string what) : BackgroundService
{
    /// <summary>The time the passes are run by, and read in them.</summary>
    protected TimeProvider Clock { get; } = clock;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, Clock);
        do
        {
            try
            {
                await Pass(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "{What} failed; retrying next interval", what);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public abstract Task Pass(CancellationToken ct);
}
