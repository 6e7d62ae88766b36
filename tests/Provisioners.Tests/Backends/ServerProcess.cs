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

    public static async Task<bool> Answers(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
