using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>
/// A binding is one step — a login role of its own on the instance's server — so it reacts to the recorded request
/// directly, without a saga, and records the outcome on the binding's stream. The generated password is recorded
/// encrypted only.
/// </summary>
public sealed class BindingSubProvisioner(
    IDatabaseBackend databases, SecretProtector secrets, ServiceBindingStore bindings, ServiceInstanceStore instances, TimeProvider clock)
    : IConsumer<ServiceBindingRequested>, IConsumer<ServiceBindingDeletionRequested>
{
    public static string UsernameOf(Guid bindingId) => $"binding_{bindingId:N}";

    public async Task Consume(ConsumeContext<ServiceBindingRequested> context)
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        if (!InProgress(await bindings.Load(request.BindingId, ct), request.OperationId)) return;
        var (instance, _) = await instances.Load(request.InstanceId, ct);
        var (username, password) = (UsernameOf(request.BindingId), SecretProtector.GeneratePassword());
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                var database = instance.Database ?? throw new BackendException($"Service instance {request.InstanceId} has no database.");
                await databases.CreateLogin(request.InstanceId, database.Database, database.AdminUsername, username, password,
                    request.ExpiresAt, ct);
                return new ServiceBindingCreated(request.InstanceId, request.BindingId, request.OperationId, username,
                    secrets.Protect(password), clock.GetUtcNow());
            },
            reason => new ServiceBindingFailed(request.InstanceId, request.BindingId, request.OperationId, reason, clock.GetUtcNow()));
        await Record(context, request.BindingId, request.OperationId, outcome);
    }

    public async Task Consume(ConsumeContext<ServiceBindingDeletionRequested> context)
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        if (!InProgress(await bindings.Load(request.BindingId, ct), request.OperationId)) return;
        var (instance, _) = await instances.Load(request.InstanceId, ct);
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                if (instance.Database is { } database)
                    await databases.DropLogin(request.InstanceId, database.Database, database.AdminUsername, UsernameOf(request.BindingId), ct);
                return new ServiceBindingDeleted(request.InstanceId, request.BindingId, request.OperationId, clock.GetUtcNow());
            },
            reason => new ServiceBindingDeletionFailed(request.InstanceId, request.BindingId, request.OperationId, reason, clock.GetUtcNow()));
        await Record(context, request.BindingId, request.OperationId, outcome);
    }

    private static bool InProgress(ServiceBinding? binding, Guid operationId) =>
        binding is { LastOperation: { InProgress: true } op } && op.Id == operationId;

    private Task<Decision> Record<T>(ConsumeContext<T> context, Guid bindingId, Guid operationId, IDomainEvent outcome)
        where T : class =>
        bindings.Handle(bindingId,
            binding => ServiceBindingDecisions.Decide(binding, new RecordBindingOutcome(bindingId, operationId, outcome)),
            new EventMetadata(operationId, context.MessageId),
            context.MessageId is { } messageId ? new Deduplication(nameof(BindingSubProvisioner), messageId) : null,
            context.CancellationToken);
}
