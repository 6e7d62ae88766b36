namespace EventSourced.Bench.Infrastructure;

/// <summary>Where the local servers listen: the environment that ./bench (infra/env.sh export_settings) sets, or their defaults.</summary>
public static class Settings
{
    public static string Postgres =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
        ?? "Host=127.0.0.1;Port=55432;Username=broker;Password=broker;Database=broker";

    public static string RabbitHost => Environment.GetEnvironmentVariable("RabbitMq__Host") ?? "127.0.0.1";
    public static int RabbitPort => int.Parse(Environment.GetEnvironmentVariable("RabbitMq__Port") ?? "55672");
    public static int RabbitManagementPort => int.Parse(Environment.GetEnvironmentVariable("RabbitMq__ManagementPort") ?? "55673");
    public static string RabbitUsername => Environment.GetEnvironmentVariable("RabbitMq__Username") ?? "broker";
    public static string RabbitPassword => Environment.GetEnvironmentVariable("RabbitMq__Password") ?? "broker";

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
