using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>
/// A binding is one step — a login role of its own on the instance's server — so it reacts to the recorded request
/// directly, without a saga. The generated password is recorded encrypted only.
/// </summary>
public sealed class BindingSubProvisioner(IDatabaseBackend databases, SecretProtector secrets, OutcomeRecorder recorder)
    : IConsumer<ServiceBindingRequested>, IConsumer<ServiceBindingDeletionRequested>
{
    public static string UsernameOf(Guid bindingId) => $"binding_{bindingId:N}";

    public async Task Consume(ConsumeContext<ServiceBindingRequested> context)
    {
        var request = context.Message;
        var state = await recorder.Load(request.InstanceId, context.CancellationToken);
        if (!InProgress(state, request.BindingId, request.OperationId) || state.Database is not { } database) return;
        var (username, password) = (UsernameOf(request.BindingId), SecretProtector.GeneratePassword());
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                await databases.CreateLogin(request.InstanceId, database.Database, database.AdminUsername, username, password,
                    request.ExpiresAt, context.CancellationToken);
                return new ServiceBindingCreated(request.InstanceId, request.BindingId, request.OperationId, username,
                    secrets.Protect(password), recorder.Now);
            },
            reason => new ServiceBindingFailed(request.InstanceId, request.BindingId, request.OperationId, reason, recorder.Now));
        await Record(context, request.InstanceId, request.BindingId, request.OperationId, outcome);
    }

    public async Task Consume(ConsumeContext<ServiceBindingDeletionRequested> context)
    {
        var request = context.Message;
        var state = await recorder.Load(request.InstanceId, context.CancellationToken);
        if (!InProgress(state, request.BindingId, request.OperationId)) return;
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                if (state.Database is { } database)
                    await databases.DropLogin(request.InstanceId, database.Database, database.AdminUsername,
                        UsernameOf(request.BindingId), context.CancellationToken);
                return new ServiceBindingDeleted(request.InstanceId, request.BindingId, request.OperationId, recorder.Now);
            },
            reason => new ServiceBindingDeletionFailed(request.InstanceId, request.BindingId, request.OperationId, reason, recorder.Now));
        await Record(context, request.InstanceId, request.BindingId, request.OperationId, outcome);
    }

    private static bool InProgress(ServiceInstance state, Guid bindingId, Guid operationId) =>
        state.FindBinding(bindingId) is { LastOperation: { InProgress: true } op } && op.Id == operationId;

    private Task<Decision> Record<T>(ConsumeContext<T> context, Guid instanceId, Guid bindingId, Guid operationId, IDomainEvent outcome)
        where T : class =>
        recorder.Record(context, instanceId, operationId,
            state => ServiceBindingDecisions.Decide(state, new RecordBindingOutcome(bindingId, operationId, outcome)),
            nameof(BindingSubProvisioner));
}
