using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using MassTransit;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>
/// A binding is one step — a login of its own on the instance's server (a role on its database, or a user of the server
/// itself for a provisioner without a database step, see <see cref="IServerLogins"/>) — so it reacts to the recorded request
/// directly, without a saga, and records the outcome on the binding's stream. The generated password is recorded
/// encrypted only.
/// <para>
/// A login the binding's stream does not end up holding is dropped again: the step failed halfway, or its success came
/// too late because the binding was given up meanwhile (a synchronous bind that outlasted its wait, whose platform was
/// told it failed). The steps of one binding take turns (<see cref="BindingTurn"/>), so a step that came too late never
/// touches the login of a later request for the same binding id.
/// </para>
/// </summary>
public sealed class BindingSubProvisioner(
    ProvisionerBackends backends, SecretProtector secrets, ServiceBindingStore bindings, ServiceInstanceStore instances,
    NpgsqlDataSource dataSource, TimeProvider clock, ILogger<BindingSubProvisioner> log)
    : IConsumer<ServiceBindingRequested>, IConsumer<ServiceBindingDeletionRequested>
{
    public static string UsernameOf(Guid bindingId) => $"binding_{bindingId:N}";

    public async Task Consume(ConsumeContext<ServiceBindingRequested> context)
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        await using var turn = await BindingTurn.Take(dataSource, request.BindingId, ct);
        if (!InProgress(await bindings.Load(request.BindingId, ct), request.OperationId)) return;
        var (instance, _) = await instances.Load(request.InstanceId, ct);
        var (username, password) = (UsernameOf(request.BindingId), SecretProtector.GeneratePassword());
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                if (backends.BindsToServer(instance.ServiceId))
                    await backends.LoginsOf(instance.ServiceId).CreateLogin(instance.ServerOwnerId, username, password, request.ExpiresAt, ct);
                else
                {
                    var database = instance.Database ?? throw new BackendException($"Service instance {request.InstanceId} has no database.");
                    await backends.DatabaseOf(instance.ServiceId).CreateLogin(instance.ServerOwnerId, database.Database, database.AdminUsername,
                        username, password, request.ExpiresAt, ct);
                }
                return new ServiceBindingCreated(request.InstanceId, request.BindingId, request.OperationId, username,
                    secrets.Protect(password), clock.GetUtcNow());
            },
            reason => new ServiceBindingFailed(request.InstanceId, request.BindingId, request.OperationId, reason, clock.GetUtcNow()));
        var recorded = await Record(context, request.BindingId, request.OperationId, outcome);
        if ((instance.Database is not null || backends.BindsToServer(instance.ServiceId)) && (outcome is ServiceBindingFailed
                || (recorded is Decision.Rejected && !await Succeeded(request.BindingId, request.OperationId, ct))))
            await DropUnrecordedLogin(request, instance, username, ct);
    }

    public async Task Consume(ConsumeContext<ServiceBindingDeletionRequested> context)
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        await using var turn = await BindingTurn.Take(dataSource, request.BindingId, ct);
        if (!InProgress(await bindings.Load(request.BindingId, ct), request.OperationId)) return;
        var (instance, _) = await instances.Load(request.InstanceId, ct);
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                await DropLogin(instance, UsernameOf(request.BindingId), ct);
                return new ServiceBindingDeleted(request.InstanceId, request.BindingId, request.OperationId, clock.GetUtcNow());
            },
            reason => new ServiceBindingDeletionFailed(request.InstanceId, request.BindingId, request.OperationId, reason, clock.GetUtcNow()));
        await Record(context, request.BindingId, request.OperationId, outcome);
    }

    /// <summary>Drops the login where the binding step made it; an instance with neither a database nor server logins has none.</summary>
    private Task DropLogin(ServiceInstance instance, string username, CancellationToken ct) =>
        backends.BindsToServer(instance.ServiceId)
            ? backends.LoginsOf(instance.ServiceId).DropLogin(instance.ServerOwnerId, username, ct)
            : instance.Database is { } database
                ? backends.DatabaseOf(instance.ServiceId).DropLogin(instance.ServerOwnerId, database.Database, database.AdminUsername, username, ct)
                : Task.CompletedTask;

    private static bool InProgress(ServiceBinding? binding, Guid operationId) =>
        binding is { LastOperation: { InProgress: true } op } && op.Id == operationId;

    private async Task<bool> Succeeded(Guid bindingId, Guid operationId, CancellationToken ct) =>
        (await bindings.Load(bindingId, ct))?.Operations.Any(op => op.Id == operationId && op.State == OperationState.Succeeded) == true;

    /// <summary>
    /// Nobody was (or will be) given this login's password. When dropping it fails too, the role stays without a known
    /// password; the platform's orphan mitigation (an unbind after the failed bind) drops it.
    /// </summary>
    private async Task DropUnrecordedLogin(ServiceBindingRequested request, ServiceInstance instance, string username, CancellationToken ct)
    {
        try
        {
            await DropLogin(instance, username, ct);
            log.LogInformation("Dropped login {Username} of binding {BindingId}: its operation {OperationId} did not record it",
                username, request.BindingId, request.OperationId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "Could not drop login {Username} of failed binding {BindingId}", username, request.BindingId);
        }
    }

    private Task<Decision> Record<T>(ConsumeContext<T> context, Guid bindingId, Guid operationId, IDomainEvent outcome)
        where T : class =>
        bindings.Handle(bindingId,
            binding => ServiceBindingDecisions.Decide(binding, new RecordBindingOutcome(bindingId, operationId, outcome)),
            new EventMetadata(operationId, context.MessageId),
            context.MessageId is { } messageId ? new Deduplication(nameof(BindingSubProvisioner), messageId) : null,
            context.CancellationToken);

    /// <summary>
    /// One binding's steps, one at a time, on every worker node: a session advisory lock in the broker's database, keyed by
    /// the binding id (two-int form, apart from the single-key locks Marten takes). A step that found its operation no
    /// longer in progress leaves the login alone; a step that came too late drops its login before the next one starts.
    /// </summary>
    private sealed class BindingTurn(NpgsqlConnection connection, int key) : IAsyncDisposable
    {
        private const int Namespace = 0x42494E44; // "BIND"

        public static async Task<BindingTurn> Take(NpgsqlDataSource dataSource, Guid bindingId, CancellationToken ct)
        {
            var key = BitConverter.ToInt32(bindingId.ToByteArray(), 0);
            var connection = await dataSource.OpenConnectionAsync(ct);
            try
            {
                await Execute(connection, "SELECT pg_advisory_lock($1, $2)", key, ct);
                return new BindingTurn(connection, key);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Execute(connection, "SELECT pg_advisory_unlock($1, $2)", key, CancellationToken.None);
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }

        private static async Task Execute(NpgsqlConnection connection, string sql, int key, CancellationToken ct)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = Namespace });
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
