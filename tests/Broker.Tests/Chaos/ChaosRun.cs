using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Chaos;

/// <summary>One phase of a run: what was asked, what was killed, and how long the operations took to end after the last restart.</summary>
internal sealed record PhaseFigures(string Name, int Requests, int Accepted, int Kills, TimeSpan Duration, TimeSpan? Converged);

/// <summary>
/// Plays the platform and the chaos of a run: issues the plan's requests as a platform would (a request whose broker
/// died is sent again to the next one; the OSB calls are idempotent or detectably recorded) while a killer SIGKILLs the
/// broker on the plan's triggers and starts it again.
/// </summary>
internal sealed class ChaosRun(ChaosSettings settings, ChaosPlan plan, BrokerEnvironment environment, ChaoticBroker broker, Action<string> log)
{
    private static readonly TimeSpan TriggerFallback = TimeSpan.FromSeconds(5);

    /// <summary>Answers a platform could not go on with (anything but 200/202 to a valid request), as violations.</summary>
    public List<string> Refusals { get; } = [];

    /// <summary>Requests sent again because their broker died under them (or answered 5xx).</summary>
    public int Resent { get; private set; }

    public int ServerErrors { get; private set; }

    public async Task<(IReadOnlyList<Guid> Instances, PhaseFigures Figures)> Provision()
    {
        var ids = new Random(settings.Seed).GetItems(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16 * plan.ProvisionDelays.Count)
            .Chunk(16).Select(bytes => new Guid(bytes)).ToList();
        var accepted = 0;
        var figures = await Phase("provision", OperationKind.Provision, plan.ProvisionKills, ids.Count, async () =>
        {
            foreach (var (id, delay) in ids.Zip(plan.ProvisionDelays))
            {
                await Task.Delay(delay);
                var (status, body) = await Send(client => client.Provision(id), $"PUT {id}");
                if (status == HttpStatusCode.Accepted) broker.Accepted();
                if (status is HttpStatusCode.Accepted or HttpStatusCode.OK) accepted++;
                else Refusals.Add($"PUT {id}: {(int)status} {body}");
            }
        }, () => accepted);
        return (ids, figures);
    }

    /// <summary>Each update changes max_connections of an instance that was provisioned, in turn; the platform waits for an instance's last operation to end before changing it again.</summary>
    public async Task<PhaseFigures> Update(IReadOnlyList<Guid> provisioned)
    {
        if (provisioned.Count == 0)
        {
            Refusals.Add("no provisioning succeeded: nothing to update");
            return new PhaseFigures("update", 0, 0, 0, TimeSpan.Zero, TimeSpan.Zero);
        }
        var accepted = 0;
        return await Phase("update", OperationKind.Update, plan.UpdateKills, plan.Updates.Count, async () =>
        {
            var asked = new Dictionary<Guid, int>();
            foreach (var (spec, index) in plan.Updates.Select((spec, index) => (spec, index)))
            {
                var id = provisioned[index % provisioned.Count];
                var value = asked.GetValueOrDefault(id) == spec.MaxConnections ? spec.MaxConnections + 1 : spec.MaxConnections;
                asked[id] = value;
                await Task.Delay(spec.Delay);
                if (!await Until(async () => (await InstanceHistory.Of(environment, id)).Settled))
                {
                    Refusals.Add($"PATCH {id} max_connections={value} not sent: its last operation did not end within {settings.ConvergeTimeout.TotalSeconds:0} s");
                    continue;
                }
                if (await Patch(id, value)) accepted++;
            }
        }, () => accepted);
    }

    private async Task<bool> Patch(Guid id, int maxConnections)
    {
        var before = (await InstanceHistory.Of(environment, id)).Count<ServiceInstanceUpdateRequested>();
        var deadline = DateTime.UtcNow + settings.ConvergeTimeout;
        while (true)
        {
            var (status, body) = await Send(client => client.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true",
                new { service_id = Hosting.Osb.ServiceId, parameters = new { max_connections = maxConnections } }), $"PATCH {id}");
            if (status == HttpStatusCode.Accepted) broker.Accepted();
            if (status is HttpStatusCode.Accepted or HttpStatusCode.OK) return true;
            // Sent again after its broker died: the first one may have been recorded and runs (422 ConcurrencyError).
            if (status == HttpStatusCode.UnprocessableEntity && body.Contains("ConcurrencyError"))
            {
                if ((await InstanceHistory.Of(environment, id)).Count<ServiceInstanceUpdateRequested>() > before) return true;
                if (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(500);
                    continue;
                }
            }
            Refusals.Add($"PATCH {id} max_connections={maxConnections}: {(int)status} {body}");
            return false;
        }
    }

    /// <param name="kind">The operations the phase waits for: a provisioning stranded before the updates is reported, not waited for again.</param>
    private async Task<PhaseFigures> Phase(string name, OperationKind kind, IReadOnlyList<KillSpec> kills, int requests, Func<Task> issue, Func<int> accepted)
    {
        var started = DateTimeOffset.UtcNow;
        var killsBefore = broker.Kills.Count;
        using var over = new CancellationTokenSource();
        var killer = Task.Run(() => Kill(name, kills, over.Token));
        try
        {
            await issue();
            // The kills go on while operations run; the phase is over once every operation of the log has ended.
            while (!killer.IsCompleted && !await Settled(kind)) await Task.WhenAny(killer, Task.Delay(250));
        }
        finally
        {
            over.Cancel();
            await killer;
        }
        var deadline = DateTimeOffset.UtcNow + settings.ConvergeTimeout;
        DateTimeOffset? settledAt = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (await Settled(kind))
            {
                settledAt = DateTimeOffset.UtcNow;
                break;
            }
            await Task.Delay(250);
        }
        var converged = settledAt - broker.LastStartedAt;
        var figures = new PhaseFigures(name, requests, accepted(), broker.Kills.Count - killsBefore, DateTimeOffset.UtcNow - started,
            converged < TimeSpan.Zero ? TimeSpan.Zero : converged);
        log($"{name}: {figures.Accepted}/{figures.Requests} accepted, {figures.Kills} kills, " +
            (figures.Converged is { } c ? $"every operation ended {c.TotalSeconds:0.0} s after the last restart" : $"operations still running {settings.ConvergeTimeout.TotalSeconds:0} s after the last restart"));
        return figures;
    }

    private async Task<bool> Settled(OperationKind kind) =>
        (await InstanceHistory.All(environment)).All(history => history.State.Operations.All(o => o.Kind != kind || !o.InProgress));

    private async Task Kill(string phase, IReadOnlyList<KillSpec> kills, CancellationToken over)
    {
        foreach (var spec in kills)
        {
            string trigger;
            try
            {
                trigger = await Trigger(spec, over);
            }
            catch (OperationCanceledException) when (over.IsCancellationRequested)
            {
                return;
            }
            await broker.KillAndRestart(spec, phase, trigger);
            log(broker.Kills[^1].ToString());
        }
    }

    private async Task<string> Trigger(KillSpec spec, CancellationToken over)
    {
        switch (spec.Trigger)
        {
            case KillTrigger.AfterAccepted:
                var next = broker.NextAccepted;
                if (await Task.WhenAny(next, Task.Delay(TriggerFallback, over)) == next) return "right after a 202";
                over.ThrowIfCancellationRequested();
                return "no 202 within 5 s, killed anyway";
            case KillTrigger.AfterStep:
                var seen = await NextEvent(spec.StepEvent!, over);
                await Task.Delay(spec.Delay, over);
                return seen ?? $"no {spec.StepEvent} within 5 s, killed anyway";
            default:
                await Task.Delay(spec.Delay, over);
                return "after the delay";
        }
    }

    /// <summary>Waits (at most <see cref="TriggerFallback"/>) for the next event of a type to be appended to the log.</summary>
    private async Task<string?> NextEvent(string type, CancellationToken over)
    {
        await using (var last = environment.Database.DataSource.CreateCommand("SELECT coalesce(max(seq_id), 0) FROM broker.mt_events"))
        {
            var from = (long)(await last.ExecuteScalarAsync(over))!;
            var deadline = DateTime.UtcNow + TriggerFallback;
            while (DateTime.UtcNow < deadline)
            {
                await using var next = environment.Database.DataSource.CreateCommand(
                    "SELECT stream_id, seq_id FROM broker.mt_events WHERE seq_id > $1 AND type = $2 ORDER BY seq_id LIMIT 1");
                next.Parameters.Add(new Npgsql.NpgsqlParameter { Value = from });
                next.Parameters.Add(new Npgsql.NpgsqlParameter { Value = type });
                await using var reader = await next.ExecuteReaderAsync(over);
                if (await reader.ReadAsync(over)) return $"{type} seq {reader.GetInt64(1)} of {reader.GetString(0)}";
                await Task.Delay(20, over);
            }
        }
        return null;
    }

    /// <summary>Sends a request to whichever broker is up, again and again while brokers die under it, within the convergence time.</summary>
    private async Task<(HttpStatusCode Status, string Body)> Send(Func<HttpClient, Task<HttpResponseMessage>> request, string what)
    {
        var deadline = DateTime.UtcNow + settings.ConvergeTimeout;
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) throw new TimeoutException($"{what}: no broker answered within {settings.ConvergeTimeout.TotalSeconds:0} s");
            var process = await broker.Current.WaitAsync(remaining);
            try
            {
                using var response = await request(process.Client);
                var body = await response.Content.ReadAsStringAsync();
                if ((int)response.StatusCode < 500) return (response.StatusCode, body);
                ServerErrors++;
                log($"{what}: {(int)response.StatusCode} {body}, sent again");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ObjectDisposedException)
            {
            }
            Resent++;
            await Task.Delay(100);
        }
    }

    private async Task<bool> Until(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + settings.ConvergeTimeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(250);
        }
        return true;
    }
}
