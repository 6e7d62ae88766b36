using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Messages;
using EventSourced.Provisioners.SubProvisioners;
using EventSourced.Provisioners.Tests.Backends;
using EventSourced.TestSupport;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Tests.SubProvisioners;

/// <summary>
/// An update that times out while its server is being reconfigured: the reconfiguration's success is refused, and the
/// server must go back to the settings the log says it runs, not keep the ones of the failed update.
/// </summary>
public sealed class TimedOutUpdateTests : IClassFixture<TimedOutUpdateTests.Backend>, IAsyncLifetime
{
    public sealed class Backend() : LocalBackendFixture(23870, 23879);

    private const string Database = "service";
    private const string Admin = "service_admin";
    private const string Password = "s3cret-admin";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly Backend _backend;
    private SubProvisionerHost _host = null!;

    public TimedOutUpdateTests(Backend backend) => _backend = backend;

    public async Task InitializeAsync() =>
        _host = await SubProvisionerHost.Start<ServerSubProvisioner>(services =>
        {
            services.AddSingleton(_backend.Storage);
            // The timeout lands while the server is being reconfigured: right after the backend changed it.
            services.AddSingleton<IServerBackend>(sp => new TimeoutDuringReconfigure(_backend.Server, sp.GetRequiredService<ServiceInstanceStore>()));
        });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Reconfigure_UpdateTimedOutMeanwhile_ServerGoesBackToTheRecordedSettings()
    {
        var (instanceId, provisioning, update) = (_backend.NewInstance(), Guid.NewGuid(), Guid.NewGuid());
        var storage = await _backend.Storage.Provision(instanceId, 256, CancellationToken.None);
        var server = await _backend.Server.Provision(instanceId, new Dictionary<string, string> { ["max_connections"] = "50" }, CancellationToken.None);
        await _backend.Database.Provision(instanceId, Database, Admin, Password, CancellationToken.None);
        var store = _host.Store;
        await store.Handle(instanceId, _ => new Decision.Accepted(update, [
            new ServiceInstanceProvisioningRequested(instanceId, provisioning, "pg", "small", "o", "s", """{"max_connections":50}""", null, 256, Now),
            new StorageProvisioned(instanceId, provisioning, storage.DataDirectory, storage.DiskMb, Now),
            new ServerProvisioned(instanceId, provisioning, server.Host, server.Port, Now),
            new DatabaseProvisioned(instanceId, provisioning, Database, Admin, "v1:unused", Now),
            new ServiceInstanceProvisioned(instanceId, provisioning, Now),
            new ServiceInstanceUpdateRequested(instanceId, update, "small", """{"max_connections":60}""", null, 256, Now),
        ]), new EventMetadata(update));

        var harness = _host.Harness;
        await harness.Bus.Publish(new ReconfigureServer(update, instanceId));

        var state = await Eventually.Until(async () => (await store.Load(instanceId)).State, s => s.LastOperation is { InProgress: false },
            "the update ended");
        Assert.Equal(OperationState.Failed, state.LastOperation!.State);
        Assert.Contains("50", state.Parameters);
        await Eventually.Until(() => MaxConnections(server), v => v == "50", "the server back on the recorded max_connections", 30);
    }

    // The server restarts to apply max_connections: a probe in between sees it shutting down or refusing.
    private static async Task<string> MaxConnections(ServerEndpoint server)
    {
        try
        {
            return await Sessions.Show(server, Database, Admin, Password, "max_connections");
        }
        catch (Npgsql.NpgsqlException e)
        {
            return e.Message;
        }
    }

    /// <summary>The real backend; its reconfiguration is followed at once by the watchdog's timeout and the update's failure.</summary>
    private sealed class TimeoutDuringReconfigure(IServerBackend inner, ServiceInstanceStore store) : IServerBackend
    {
        public Task<ServerEndpoint> Provision(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct) =>
            inner.Provision(instanceId, settings, ct);

        public async Task<ServerEndpoint> Reconfigure(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
        {
            var endpoint = await inner.Reconfigure(instanceId, settings, ct);
            await store.Handle(instanceId, state => state.LastOperation is { InProgress: true, Kind: OperationKind.Update } op
                    ? new Decision.Accepted(op.Id, [
                        new ServiceInstanceOperationTimedOut(instanceId, op.Id, DateTimeOffset.UtcNow),
                        new ServiceInstanceUpdateFailed(instanceId, op.Id, "The update timed out.", DateTimeOffset.UtcNow),
                    ])
                    : new Decision.AlreadyDone(),
                new EventMetadata(Guid.NewGuid()), ct: ct);
            return endpoint;
        }

        public Task Deprovision(Guid instanceId, CancellationToken ct) => inner.Deprovision(instanceId, ct);

        public Task<bool> IsRunning(Guid instanceId, CancellationToken ct) => inner.IsRunning(instanceId, ct);

        public Task<int> ResurrectStopped(CancellationToken ct) => inner.ResurrectStopped(ct);
    }
}
