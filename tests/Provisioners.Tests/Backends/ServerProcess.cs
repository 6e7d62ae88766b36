using EventSourced.TestSupport;
namespace EventSourced.Provisioners.Tests.Backends;

/// <summary>What the tests observe of a server from outside: its postmaster PID and whether that process still lives.</summary>
internal static class ServerProcess
{
    public static int PostmasterPid(string instanceDirectory) =>
        int.Parse(File.ReadLines(Path.Combine(instanceDirectory, "pgdata", "postmaster.pid")).First());

    // Nothing reaps orphans here: a killed postmaster stays a zombie, which counts as gone.
    public static bool IsGone(int pid)
    {
        var status = $"/proc/{pid}/status";
        return !File.Exists(status) || File.ReadLines(status).Any(line => line.StartsWith("State:") && line.Contains("zombie"));
    }

    public static Task<bool> Answers(int port) => LoopbackPort.Accepts(port);
}
