using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace EventSourced.TestSupport.Containers;

/// <summary>
/// The tests' PostgreSQL and RabbitMQ when the environment names none (e.g. <c>dotnet test</c> from an IDE): started
/// once per test process with Testcontainers on the Docker endpoint that answers, removed when the process exits.
/// User <c>broker</c> / <c>broker</c> as on the servers of infra/up. Images from <c>TESTS_POSTGRES_IMAGE</c> and
/// <c>TESTS_RABBITMQ_IMAGE</c> (RabbitMQ's must have the management plugin: the tests create a virtual host each
/// through its API). Without a Docker endpoint, nothing is guessed: the message says what to set or start.
/// </summary>
public static class ContainerServers
{
    public const string PostgresImageVariable = "TESTS_POSTGRES_IMAGE";
    public const string RabbitMqImageVariable = "TESTS_RABBITMQ_IMAGE";
    public const string DefaultPostgresImage = "postgres:15";
    public const string DefaultRabbitMqImage = "rabbitmq:3.13-management";
    private const string User = "broker";
    private const int AmqpPort = 5672;
    private const int ManagementPort = 15672;

    private static readonly Lazy<string> PostgresConnection = new(() => Start(async endpoint =>
    {
        var container = new PostgreSqlBuilder(Image(PostgresImageVariable, DefaultPostgresImage))
            .WithDockerEndpoint(endpoint).WithUsername(User).WithPassword(User).WithDatabase(User).Build();
        await StartRemovedAtExit(container);
        return container.GetConnectionString();
    }, "PostgreSQL", "ConnectionStrings__Postgres"));

    private static readonly Lazy<RabbitMqEndpoint> RabbitMqServer = new(() => Start(async endpoint =>
    {
        var container = new RabbitMqBuilder(Image(RabbitMqImageVariable, DefaultRabbitMqImage))
            .WithDockerEndpoint(endpoint).WithUsername(User).WithPassword(User).WithPortBinding(ManagementPort, true).Build();
        await StartRemovedAtExit(container);
        return new RabbitMqEndpoint(container.Hostname, container.GetMappedPublicPort(AmqpPort), container.GetMappedPublicPort(ManagementPort), User, User);
    }, "RabbitMQ", "RabbitMq__Host"));

    /// <summary>The connection string of the test process's PostgreSQL container (started on first use).</summary>
    public static string PostgresConnectionString => PostgresConnection.Value;

    /// <summary>The test process's RabbitMQ container (started on first use).</summary>
    public static RabbitMqEndpoint RabbitMq => RabbitMqServer.Value;

    /// <summary>
    /// The Docker endpoint Testcontainers found answering, or null. A <c>DOCKER_HOST</c> that is set is the only one
    /// taken, as the Docker CLI takes it: when it does not answer, another socket found on the machine is not used.
    /// </summary>
    public static Uri? DockerEndpoint()
    {
        var found = TestcontainersSettings.OS.DockerEndpointAuthConfig?.Endpoint;
        var dockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");
        return string.IsNullOrWhiteSpace(dockerHost) || found == new Uri(dockerHost) ? found : null;
    }

    private static T Start<T>(Func<Uri, Task<T>> start, string server, string setting)
    {
        var endpoint = DockerEndpoint() ?? throw new InvalidOperationException(NoServerMessage(server, setting));
        // Off the test framework's synchronization context: the settings are read synchronously, the start is async.
        return Task.Run(() => start(endpoint)).GetAwaiter().GetResult();
    }

    /// <summary>What a test run without servers says, once for each server it missed.</summary>
    public static string NoServerMessage(string server, string setting) =>
        $"The tests have no {server}: {setting} is not set, and no Docker endpoint answers for Testcontainers to start one " +
        $"(DOCKER_HOST: {Environment.GetEnvironmentVariable("DOCKER_HOST") ?? "not set"}). Either set ConnectionStrings__Postgres and " +
        "RabbitMq__Host, RabbitMq__Port, RabbitMq__ManagementPort, RabbitMq__Username, RabbitMq__Password (infra/up, then " +
        "`source infra/env.sh && export_settings`; ./test does both), or start Docker (or podman's Docker API, as " +
        "infra/ide-tests-with-podman does) and run the tests again.";

    private static async Task StartRemovedAtExit(IContainer container)
    {
        // Ryuk removes a test process's containers after it is gone; where it is disabled (podman), this does.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(30));
        await container.StartAsync();
    }

    private static string Image(string variable, string fallback) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } image ? image : fallback;
}

/// <summary>Where a RabbitMQ for the tests listens, with its management API, and how to log in.</summary>
public sealed record RabbitMqEndpoint(string Host, int Port, int ManagementPort, string Username, string Password);
