using System.Net;
using System.Security.Cryptography;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>
/// A dedicated server that does not start: its server.log (which can quote applications' SQL) goes to the broker's log
/// only, never into the failure event's reason or the platform's operation description.
/// </summary>
public sealed class ServerStartFailureTests
{
    [Fact]
    public async Task Provision_ServerThatCannotStart_FailsWithoutItsLogInTheEventOrDescription_AndTheBrokerLogHasIt()
    {
        await using var environment = await BrokerEnvironment.Create();
        var instanceId = Guid.NewGuid();
        // Stands for whatever the server last logged: postgres quotes it in the FATAL line of its failed start.
        var marker = $"app_secret_{RandomNumberGenerator.GetHexString(12, lowercase: true)}";
        await PrepareAClusterThatCannotStart(environment, instanceId, marker);
        await using var broker = await BrokerProcess.Start(environment);

        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(instanceId)).StatusCode);
        var failed = await broker.Client.PollUntilDone(instanceId);

        Assert.True(failed.State == "failed", $"{failed}\n{broker.Output}");
        var events = await InstanceStream.Events(environment, instanceId);
        var failure = events.OfType<ResourceProvisioningFailed>().Single();
        Assert.Equal(ResourceKind.Server, failure.Resource);
        Assert.Contains("did not start", failure.Reason);
        Assert.DoesNotContain(marker, failure.Reason);
        Assert.DoesNotContain(marker, failed.Description ?? "");
        Assert.Equal(0, await environment.CountOccurrences(marker));
        Assert.Contains(marker, broker.Output);
    }

    /// <summary>
    /// The instance's storage with a cluster that was initialised and then stopped, and whose configuration now names a
    /// library that does not exist: the next start fails, and postgres writes why (quoting the name) to server.log.
    /// </summary>
    private static async Task PrepareAClusterThatCannotStart(BrokerEnvironment environment, Guid instanceId, string marker)
    {
        var options = Options.Create(new LocalBackendOptions
        {
            DataRoot = environment.DataRoot, PortRangeStart = environment.PortRangeStart, PortRangeEnd = environment.PortRangeStart + 39,
        });
        var storage = new LocalStorageBackend(options, TimeProvider.System);
        var servers = new LocalServerBackend(options, NullLogger<LocalServerBackend>.Instance);
        var allocation = await storage.Provision(instanceId, 1024, CancellationToken.None);
        await servers.Provision(instanceId, new Dictionary<string, string>(), CancellationToken.None);
        await servers.Deprovision(instanceId, CancellationToken.None);
        await File.AppendAllTextAsync(Path.Combine(allocation.DataDirectory, "pgdata", "postgresql.conf"),
            $"\nshared_preload_libraries = '{marker}'\n");
    }
}
