using System.Text.Json;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// DataRoot/&lt;instanceId&gt;/: storage.json, server.json, pgdata/ (the cluster) and server.log. The server's unix socket
/// (the superuser's way in) lives apart, in a short directory named after the instance's path: a socket path holds at
/// most 107 bytes, and data roots below users' checkouts are longer than a socket can be.
/// A replica of the instance's server (<see cref="ReplicaOf"/>) has the same layout in &lt;instanceId&gt;/replicas/&lt;index&gt;/.
/// </summary>
internal sealed class InstanceDirectory(string dataRoot, Guid instanceId, string? folder = null)
{
    private const string ReplicasFolder = "replicas";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Where the servers' socket directories live: "/tmp/esb-sockets/" + 16 hex digits + "/.s.PGSQL.65535" is 48 bytes.</summary>
    public const string SocketRoot = "/tmp/esb-sockets";

    public Guid InstanceId { get; } = instanceId;
    public string Path { get; } = System.IO.Path.Combine(dataRoot, folder ?? instanceId.ToString("D"));
    public string ReplicasPath => System.IO.Path.Combine(Path, ReplicasFolder);
    public string StorageFile => System.IO.Path.Combine(Path, "storage.json");
    public string ServerFile => System.IO.Path.Combine(Path, "server.json");
    public string DataDirectory => System.IO.Path.Combine(Path, "pgdata");
    public string LogFile => System.IO.Path.Combine(Path, "server.log");
    public string SocketDirectory => System.IO.Path.Combine(SocketRoot, Convert.ToHexStringLower(
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path)))[..16]);
    /// <summary>
    /// Where the running server's socket is: a server started by a broker before sockets moved out of the instance
    /// directory keeps its socket there until its next start.
    /// </summary>
    public string SocketDirectoryOf(int port) =>
        !File.Exists(System.IO.Path.Combine(SocketDirectory, $".s.PGSQL.{port}")) && File.Exists(System.IO.Path.Combine(Path, $".s.PGSQL.{port}"))
            ? Path
            : SocketDirectory;

    public string PidFile => System.IO.Path.Combine(DataDirectory, "postmaster.pid");
    public string SocketLockFile(int port) => System.IO.Path.Combine(SocketDirectory, $".s.PGSQL.{port}.lock");
    public bool IsInitialised => File.Exists(System.IO.Path.Combine(DataDirectory, "PG_VERSION"));

    public static IEnumerable<InstanceDirectory> All(string dataRoot) =>
        Directory.Exists(dataRoot)
            ? Directory.EnumerateDirectories(dataRoot)
                .Select(System.IO.Path.GetFileName)
                .Where(name => Guid.TryParseExact(name, "D", out _))
                .Select(name => new InstanceDirectory(dataRoot, Guid.ParseExact(name!, "D")))
            : [];

    /// <summary>The folder of the instance's replica <paramref name="index"/> (its server.json, pgdata, server.log).</summary>
    public InstanceDirectory ReplicaOf(int index) => new(ReplicasPath, InstanceId, index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The replicas that have a folder here, by index.</summary>
    public IEnumerable<(int Index, InstanceDirectory Directory)> Replicas() =>
        Directory.Exists(ReplicasPath)
            ? Directory.EnumerateDirectories(ReplicasPath).Select(System.IO.Path.GetFileName)
                .Where(name => int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                .Select(name => int.Parse(name!, System.Globalization.CultureInfo.InvariantCulture)).Order()
                .Select(index => (index, ReplicaOf(index)))
            : [];

    public StorageRecord? ReadStorage() => Read<StorageRecord>(StorageFile);
    public void WriteStorage(StorageRecord record) => Write(StorageFile, record);
    public string ReplicaFile => System.IO.Path.Combine(Path, "replica.json");
    public ReplicaRecord? ReadReplica() => Read<ReplicaRecord>(ReplicaFile);
    public void WriteReplica(ReplicaRecord record) => Write(ReplicaFile, record);
    public ServerRecord? ReadServer() => Read<ServerRecord>(ServerFile);
    public void WriteServer(ServerRecord record) => Write(ServerFile, record);

    /// <summary>The postmaster's PID from the first line of postmaster.pid, if the file exists.</summary>
    public int? ReadPostmasterPid()
    {
        try
        {
            using var reader = new StreamReader(PidFile);
            return int.TryParse(reader.ReadLine(), out var pid) ? pid : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The port the postmaster listens on: the fourth line of postmaster.pid.</summary>
    public int? ReadPostmasterPort()
    {
        try
        {
            return int.TryParse(File.ReadLines(PidFile).Skip(3).FirstOrDefault(), out var port) ? port : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether postmaster.pid says the server accepts connections: its eighth line is the status the postmaster keeps
    /// there (starting, ready, stopping), the line pg_ctl -w waits on.
    /// </summary>
    public bool PostmasterReportsReady()
    {
        try
        {
            return File.ReadLines(PidFile).Skip(7).FirstOrDefault()?.Trim() == "ready";
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// A postmaster that died without shutting down leaves postmaster.pid and the socket's lock file behind, naming its
    /// PID; while that PID lingers as a zombie the next postmaster believes it still runs and refuses to start.
    /// </summary>
    public void RemoveStaleLockFiles(int port)
    {
        if (File.Exists(PidFile)) File.Delete(PidFile);
        // The socket directory itself may be gone (storage removed, /tmp cleaned): nothing stale is left there then.
        if (File.Exists(SocketLockFile(port))) File.Delete(SocketLockFile(port));
    }

    private static T? Read<T>(string file) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(file), Json);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    // Written beside and renamed over the old file, so a crash never leaves a half-written record. The temporary file is
    // the writer's own: two runs of a step writing at once (a re-sent step) shared one name, and the second rename failed.
    private static void Write<T>(string file, T record)
    {
        var temporary = $"{file}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(record, Json));
        File.Move(temporary, file, overwrite: true);
    }
}

internal sealed record StorageRecord(int DiskMb, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// A provisioned server: its port and the settings chosen for it (the defaults fill in the rest). <c>Software</c> names a
/// server that is not PostgreSQL (<c>redis</c>); PostgreSQL's records have none.
/// </summary>
internal sealed record ServerRecord(int Port, IReadOnlyDictionary<string, string>? Settings = null, string? Software = null);

/// <summary>A replica's folder: the deployment engine's VM it is (a folder of another VM is a leftover to start over).</summary>
internal sealed record ReplicaRecord(string Vm);
