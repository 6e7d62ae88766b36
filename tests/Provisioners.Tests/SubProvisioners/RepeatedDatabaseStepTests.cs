using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
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
using Npgsql;

namespace EventSourced.Provisioners.Tests.SubProvisioners;

/// <summary>
/// The database step delivered twice at once (a redelivered command, or one re-sent by a nudge): both runs do the work,
/// one run's record wins, and the server must agree with the record — the admin password recorded is the one that logs in.
/// </summary>
public sealed class RepeatedDatabaseStepTests : IClassFixture<RepeatedDatabaseStepTests.Backend>, IAsyncLifetime
{
    public sealed class Backend() : LocalBackendFixture(23860, 23869);

    private readonly Backend _backend;
    private SubProvisionerHost _host = null!;

    public RepeatedDatabaseStepTests(Backend backend) => _backend = backend;

    public async Task InitializeAsync() =>
        _host = await SubProvisionerHost.Start<DatabaseSubProvisioner>(services => services.AddSingleton(_backend.Database));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ProvisionDatabase_TwoRunsAtOnce_RecordedAdminPasswordLogsIn()
    {
        var (instanceId, operationId) = (_backend.NewInstance(), Guid.NewGuid());
        var storage = await _backend.Storage.Provision(instanceId, 256, CancellationToken.None);
        var server = await _backend.Server.Provision(instanceId, LocalBackendFixture.NoSettings, CancellationToken.None);
        var store = _host.Store;
        var now = DateTimeOffset.UtcNow;
        await store.Handle(instanceId, _ => new Decision.Accepted(operationId, [
            new ServiceInstanceProvisioningRequested(instanceId, operationId, "pg", "small", "o", "s", null, null, 256, now),
            new StorageProvisioned(instanceId, operationId, storage.DataDirectory, storage.DiskMb, now),
            new ServerProvisioned(instanceId, operationId, server.Host, server.Port, now),
        ]), new EventMetadata(operationId));

        // Two copies under different message ids, as a re-sent step had before its id was derived from the step.
        var harness = _host.Harness;
        await Task.WhenAll(
            harness.Bus.Publish(new ProvisionDatabase(operationId, instanceId), c => c.MessageId = Guid.NewGuid()),
            harness.Bus.Publish(new ProvisionDatabase(operationId, instanceId), c => c.MessageId = Guid.NewGuid()));
        await Eventually.Until(() => Task.FromResult(harness.Consumed.Select<ProvisionDatabase>().Count()), n => n == 2, "both runs consumed");
        var recorded = await Eventually.Until(async () => (await store.Load(instanceId)).State.Database, d => d is not null, "the database recorded");

        var password = _host.Services.GetRequiredService<SecretProtector>().Unprotect(recorded!.EncryptedAdminPassword);
        var login = new NpgsqlConnectionStringBuilder
        {
            Host = server.Host, Port = server.Port, Database = recorded.Database, Username = recorded.AdminUsername, Password = password,
            Pooling = false, Timeout = 10,
        };
        await using var connection = new NpgsqlConnection(login.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user", connection);
        Assert.Equal(recorded.AdminUsername, await command.ExecuteScalarAsync());
    }
}
