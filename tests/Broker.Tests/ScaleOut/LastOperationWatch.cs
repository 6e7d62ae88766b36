using System.Net;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.ScaleOut;

/// <summary>
/// One accepted instance's last_operation as a platform sees it through several API nodes: polled on each node in turn,
/// one poll after the other, so every answer must be at least as far on as the one before it, whichever node gave it.
/// Records what no platform may see: an accepted instance unknown or gone (404, 410), a state that goes back (succeeded,
/// then in progress again), or any other answer than 200 in progress / succeeded.
/// </summary>
internal sealed class LastOperationWatch(Guid instanceId, IReadOnlyList<HttpClient> apis)
{
    private readonly List<string> _answers = [];
    private readonly List<string> _faults = [];
    private int _next;
    private bool _succeededSeen;
    private readonly HashSet<int> _succeededOn = [];

    public IReadOnlyList<string> Faults => _faults;

    /// <summary>Polls until every node answered succeeded (after the first success, each node's next answer must be it too).</summary>
    public Task Run(DateTimeOffset deadline) =>
        Eventually.Until(Poll, done => done, $"instance {instanceId} succeeded on all {apis.Count} API nodes",
            Math.Max(1, (deadline - DateTimeOffset.UtcNow).TotalSeconds), () => string.Join("\n", _answers.TakeLast(20)));

    private async Task<bool> Poll()
    {
        var node = _next++ % apis.Count;
        var response = await apis[node].LastOperation(instanceId);
        var body = await response.Content.ReadAsStringAsync();
        var state = response.StatusCode == HttpStatusCode.OK ? (string?)JsonNode.Parse(body)?["state"] : null;
        _answers.Add($"api {node}: {(int)response.StatusCode} {body}");
        if (state is not ("in progress" or "succeeded"))
            _faults.Add($"instance {instanceId}: api {node} answered {(int)response.StatusCode} {body} for an accepted instance");
        else if (state == "in progress" && _succeededSeen)
            _faults.Add($"instance {instanceId}: api {node} answered in progress after succeeded (went back): {string.Join(" | ", _answers.TakeLast(4))}");
        if (state == "succeeded")
        {
            _succeededSeen = true;
            _succeededOn.Add(node);
        }
        // A fault ends the watch at once: the test fails on it, waiting on gains nothing.
        return _faults.Count > 0 || _succeededOn.Count == apis.Count;
    }
}
