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

    /// <summary>
    /// Where the local backend keeps the dedicated servers' data, reachable by the postgres user when run as root: the
    /// environment's <c>Provisioners__Local__DataRoot</c> (infra/env.sh export_settings sets it; ./test does). No
    /// fallback: a guessed folder could be another checkout's, or one the postgres user cannot reach.
    /// </summary>
    public static string LocalBackendDataRoot
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("Provisioners__Local__DataRoot");
            if (string.IsNullOrWhiteSpace(root))
                throw new InvalidOperationException(
                    "Provisioners__Local__DataRoot is not set: the local backend tests need a data root for dedicated servers. " +
                    "Run them through ./test, or `source infra/env.sh && export_settings` first.");
            Directory.CreateDirectory(root);
            return root;
        }
    }
}
