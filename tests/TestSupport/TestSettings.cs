using EventSourced.TestSupport.Containers;

namespace EventSourced.TestSupport;

/// <summary>
/// Where the tests' PostgreSQL and RabbitMQ listen: the same environment variables the broker reads (./test sets them
/// for the servers of infra/up). A server the environment does not name is started with Testcontainers when a Docker
/// endpoint answers (<see cref="ContainerServers"/>: <c>dotnet test</c> from an IDE); with neither, the first test that
/// needs it fails saying what to set or start.
/// </summary>
public static class TestSettings
{
    private static readonly Lazy<RabbitMqEndpoint> Rabbit = new(() =>
        Variable("RabbitMq__Host") is null && Variable("RabbitMq__Port") is null
            ? ContainerServers.RabbitMq
            : new RabbitMqEndpoint(
                Variable("RabbitMq__Host") ?? "127.0.0.1",
                int.Parse(Variable("RabbitMq__Port") ?? "55672"),
                int.Parse(Variable("RabbitMq__ManagementPort") ?? "55673"),
                Variable("RabbitMq__Username") ?? "broker",
                Variable("RabbitMq__Password") ?? "broker"));

    public static string PostgresConnectionString => Variable("ConnectionStrings__Postgres") ?? ContainerServers.PostgresConnectionString;

    public static string RabbitHost => Rabbit.Value.Host;
    public static int RabbitPort => Rabbit.Value.Port;
    public static int RabbitManagementPort => Rabbit.Value.ManagementPort;
    public static string RabbitUsername => Rabbit.Value.Username;
    public static string RabbitPassword => Rabbit.Value.Password;

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

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
