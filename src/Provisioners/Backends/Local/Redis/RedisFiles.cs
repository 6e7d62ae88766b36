namespace EventSourced.Provisioners.Backends.Local.Redis;

/// <summary>&lt;instance&gt;/redis/: redis.conf, users.acl, the append-only files, redis.pid and server.log.</summary>
internal sealed class RedisFiles(InstanceDirectory instance)
{
    public string Directory { get; } = Path.Combine(instance.Path, "redis");
    public string Config => Path.Combine(Directory, "redis.conf");
    public string Users => Path.Combine(Directory, "users.acl");
    public string Pid => Path.Combine(Directory, "redis.pid");
    public string Log => Path.Combine(Directory, "server.log");

    public int? ReadPid()
    {
        try
        {
            return int.TryParse(File.ReadAllText(Pid).Trim(), out var pid) ? pid : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public string LogTail() => File.Exists(Log) ? string.Join('\n', File.ReadLines(Log).TakeLast(10)) : "(no server.log)";
}
