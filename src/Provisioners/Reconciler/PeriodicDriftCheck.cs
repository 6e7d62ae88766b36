using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Reconciler;

/// <summary>Runs the drift check every <see cref="ReconcilerOptions.Interval"/>: each drift becomes a warning in the log.</summary>
public sealed class PeriodicDriftCheck(DriftReconciler reconciler, IOptions<ReconcilerOptions> options, TimeProvider clock, ILogger<PeriodicDriftCheck> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var report = await reconciler.Check(stoppingToken);
                if (report.Drifts.Count > 0)
                    log.LogWarning("The local backend differs from the log in {Count} ways (GET /admin/drift lists them)", report.Drifts.Count);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Drift check failed; retrying next interval");
            }
        }
    }
}
