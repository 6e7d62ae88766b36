namespace EventSourced.Provisioners.Backends.Local.Redis;

/// <summary>&lt;instance&gt;/redis/: redis.conf, users.acl, the append-only files, dump.rdb, redis.pid and server.log.</summary>
internal sealed class RedisFiles(InstanceDirectory instance)
{
    public string Directory { get; } = Path.Combine(instance.Path, "redis");
    public string Config => Path.Combine(Directory, "redis.conf");
    public string Users => Path.Combine(Directory, "users.acl");
    public string Pid => Path.Combine(Directory, "redis.pid");
    public string Log => Path.Combine(Directory, "server.log");
    /// <summary>The bindings' users with a credential lifetime, and until when each is valid (Redis users have no expiry of their own).</summary>
    public string LoginLifetimes => Path.Combine(Directory, "users-valid-until.json");
    /// <summary>The RDB file the server loads at a start with the append-only file off (an import's), and writes on SAVE.</summary>
    public string Dump => Path.Combine(Directory, "dump.rdb");
    /// <summary>The append-only files (Redis 7: a directory with a manifest; before: one file), loaded instead of any RDB.</summary>
    public IEnumerable<string> AppendOnly => [Path.Combine(Directory, "appendonlydir"), Path.Combine(Directory, "appendonly.aof")];

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
