namespace EventSourced.TestSupport;

/// <summary>Where the servers that ./test starts (infra/up) listen; the same environment variables the broker reads.</summary>
public static class TestSettings
{
    public static string PostgresConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
        ?? "Host=127.0.0.1;Port=55432;Username=broker;Password=broker;Database=broker";

    public static string RabbitHost => Environment.GetEnvironmentVariable("RabbitMq__Host") ?? "127.0.0.1";
    public static int RabbitPort => int.Parse(Environment.GetEnvironmentVariable("RabbitMq__Port") ?? "55672");
    public static int RabbitManagementPort => int.Parse(Environment.GetEnvironmentVariable("RabbitMq__ManagementPort") ?? "55673");
    public static string RabbitUsername => Environment.GetEnvironmentVariable("RabbitMq__Username") ?? "broker";
    public static string RabbitPassword => Environment.GetEnvironmentVariable("RabbitMq__Password") ?? "broker";

    /// <summary>Where the local backend keeps the dedicated servers' data; reachable by the postgres user when run as root.</summary>
    public static string LocalBackendDataRoot =>
        Environment.GetEnvironmentVariable("Provisioners__Local__DataRoot")
        ?? Path.Combine(FindRepositoryRoot(), ".data", "servers", "instances");

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EventSourced.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("EventSourced.sln not found above the test binaries");
    }
}
