namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// What only the bench needs to find: pgbench and the checkout. Where PostgreSQL and RabbitMQ listen is the tests'
/// <see cref="EventSourced.TestSupport.TestSettings"/> (the environment that infra/env.sh export_settings sets).
/// </summary>
public static class Settings
{
    public static string PgBench =>
        Environment.GetEnvironmentVariable("PGBENCH")
        ?? Directory.GetDirectories("/usr/lib/postgresql").Order().Select(d => Path.Combine(d, "bin", "pgbench")).LastOrDefault(File.Exists)
        ?? "pgbench";

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EventSourced.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("EventSourced.sln not found above the bench binaries");
    }
}
