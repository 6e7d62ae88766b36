using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Messages;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>The service database of an instance and its admin role, whose generated password is recorded encrypted only.</summary>
public sealed class DatabaseSubProvisioner(IDatabaseBackend databases, SecretProtector secrets, OutcomeRecorder recorder)
    : IConsumer<ProvisionDatabase>, IConsumer<DeprovisionDatabase>
{
    public const string DatabaseName = "service";
    public const string AdminUsername = "service_admin";

    public async Task Consume(ConsumeContext<ProvisionDatabase> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        // Skipping an already recorded database matters here: provisioning again would reset the password.
        if (await recorder.CurrentOperationOf(instanceId, operationId, ct) is not { Database: null }) return;
        IDomainEvent outcome;
        try
        {
            var password = SecretProtector.GeneratePassword();
            var access = await databases.Provision(instanceId, DatabaseName, AdminUsername, password, ct);
            outcome = new DatabaseProvisioned(instanceId, operationId, access.Database, access.Username, secrets.Protect(password), recorder.Now);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = new ResourceProvisioningFailed(instanceId, operationId, ResourceKind.Database, e.Message, recorder.Now);
        }
        if (await recorder.Record(context, instanceId, operationId, outcome, nameof(DatabaseSubProvisioner)) is Decision.Rejected
            && outcome is DatabaseProvisioned && await recorder.IsRolledBack(instanceId, operationId, ct))
            await databases.Deprovision(instanceId, DatabaseName, AdminUsername, ct);
    }

    public async Task Consume(ConsumeContext<DeprovisionDatabase> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(instanceId, operationId, ct) is null) return;
        IDomainEvent outcome;
        try
        {
            await databases.Deprovision(instanceId, DatabaseName, AdminUsername, ct);
            outcome = new DatabaseDeprovisioned(instanceId, operationId, recorder.Now);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = new ResourceDeprovisioningFailed(instanceId, operationId, ResourceKind.Database, e.Message, recorder.Now);
        }
        await recorder.Record(context, instanceId, operationId, outcome, nameof(DatabaseSubProvisioner));
    }
}
