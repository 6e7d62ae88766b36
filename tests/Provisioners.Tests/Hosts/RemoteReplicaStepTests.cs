using System.Diagnostics;
using System.Security.Cryptography;
using EventSourced.Commands.Secrets;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.Hosts;
using EventSourced.Provisioners.Messages;
using EventSourced.TestSupport;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Tests.Hosts;

/// <summary>
/// A replica step sent to another host's queue, on MassTransit's in-memory harness with host node-b's real local backend
/// (a data root of its own): node-b carries it out and answers with the replica's port; a step it refuses fails naming
/// the host and why; a host nobody serves fails once the timeout ran out, naming it; the password travels encrypted.
/// </summary>
public sealed class RemoteReplicaStepTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly string _dataRoot = Path.Combine(TestSettings.LocalBackendDataRoot, $"remote-{Guid.NewGuid():N}"[..15]);
    private ServiceProvider _provider = null!;

    private IRemoteReplicaSteps Remote => _provider.GetRequiredService<IRemoteReplicaSteps>();
    private ITestHarness Harness => _provider.GetRequiredService<ITestHarness>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataRoot);
        if (Environment.UserName == "root") await Process.Start("chown", ["postgres:", _dataRoot]).WaitForExitAsync();
        var services = new ServiceCollection();
        services.AddSingleton(new LocalServerBackend(Options.Create(new LocalBackendOptions { DataRoot = _dataRoot, PortRangeStart = 29600, PortRangeEnd = 29639 }),
            NullLogger<LocalServerBackend>.Instance));
        services.AddSingleton(new SecretProtector(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
        services.AddSingleton(Options.Create(new WorkerHostOptions { Name = "node-a", RemoteStepTimeout = Timeout }));
        services.AddSingleton<IRemoteReplicaSteps, BusReplicaSteps>();
        services.AddMassTransitTestHarness(x => x.AddConsumer<ReplicaStepRunner>().Endpoint(e => e.Name = HostQueue.Name("node-b")));
        _provider = services.BuildServiceProvider();
        await Harness.Start();
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        if (Directory.Exists(_dataRoot)) Directory.Delete(_dataRoot, recursive: true);
    }

    [Fact]
    public async Task AReplicaCreatedOnAnotherHost_LivesUnderItsDataRoot_AnswersItsPort_AndIsRemovedWithItsFolder()
    {
        var instanceId = Guid.NewGuid();

        var port = await Remote.Run("node-b", new RemoteReplicaStep(instanceId, 0, ReplicaStep.Create, "replicas/0#abcdef12"), CancellationToken.None);

        Assert.NotNull(port);
        Assert.Equal(port, await Remote.Run("node-b", new RemoteReplicaStep(instanceId, 0, ReplicaStep.Describe), CancellationToken.None));
        var folder = Path.Combine(_dataRoot, instanceId.ToString("D"));
        Assert.True(File.Exists(Path.Combine(folder, "replicas", "0", "replica.json")));
        Assert.Null(await Remote.Run("node-b", new RemoteReplicaStep(instanceId, 0, ReplicaStep.Remove), CancellationToken.None));
        Assert.False(Directory.Exists(folder), "the instance's folder is still on node-b");
    }

    [Fact]
    public async Task AStepTheHostRefuses_FailsNamingTheHostAndWhy_AndThePasswordTravelledEncrypted()
    {
        var instanceId = Guid.NewGuid();

        var failed = await Assert.ThrowsAsync<BackendException>(() => Remote.Run("node-b",
            new RemoteReplicaStep(instanceId, 0, ReplicaStep.Copy, PrimaryPort: 5432, Password: "clear-text-password"), CancellationToken.None));

        Assert.Equal($"host node-b failed step Copy: replica 0 of instance {instanceId} was not created here", failed.Message);
        var sent = Assert.Single(Harness.Consumed.Select<RunReplicaStep>()).Context.Message;
        Assert.StartsWith("v1:", sent.ProtectedPassword);
        Assert.DoesNotContain("clear-text-password", sent.ProtectedPassword);
    }

    [Fact]
    public async Task AHostNobodyServes_FailsTheStepOnceTheTimeoutRanOut_NamingTheHost()
    {
        var failed = await Assert.ThrowsAsync<BackendException>(() =>
            Remote.Run("node-gone", new RemoteReplicaStep(Guid.NewGuid(), 1, ReplicaStep.Stop), CancellationToken.None));

        Assert.Equal($"host node-gone did not carry out step Stop of replica 1 within {Timeout}", failed.Message);
    }
}
