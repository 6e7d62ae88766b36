using EventSourced.Commands.Catalog;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Messages;
using EventSourced.Provisioners.Snapshots;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>
/// The database of an instance and its owner role, whose generated password is recorded encrypted only: on the instance's
/// own server, or on its cluster's (<see cref="DatabasePlacement"/>).
/// </summary>
/// <remarks>A host wired without snapshots (no <see cref="SnapshotRestorer"/>) fails an import's database step, saying so.</remarks>
public sealed class DatabaseSubProvisioner(
    ProvisionerBackends backends, SecretProtector secrets, OutcomeRecorder recorder, SnapshotRestorer? restorer = null, ServiceCatalog? catalog = null)
    : IConsumer<ProvisionDatabase>, IConsumer<DeprovisionDatabase>
{
    public async Task Consume(ConsumeContext<ProvisionDatabase> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        // A run that loses the race to a copy of this step sets the same password: it is derived from the operation.
        if (await recorder.CurrentOperationOf(context, instanceId, operationId) is not { } state) return;
        if (state.Database is { } recorded)
        {
            await recorder.AnswerAgain(context, new DatabaseProvisioned(instanceId, operationId, recorded.Database, recorded.AdminUsername,
                recorded.EncryptedAdminPassword, recorder.Now));
            return;
        }
        var placement = DatabasePlacement.Of(state);
        var password = secrets.DerivePassword($"{operationId}/{placement.Database}/{placement.Owner}");
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                var databases = backends.DatabaseOf(state.ServiceId);
                var access = await databases.Provision(placement.ServerInstanceId, placement.Database, placement.Owner, password, ct);
                // An import's database is reported made only with the snapshot's data in it.
                if (state.RestoreFromSnapshot is { } snapshot)
                    await (restorer ?? throw new BackendException("this host restores no snapshots")).Restore(state, snapshot, ct);
                await databases.ApplyExtensions(placement.ServerInstanceId, placement.Database,
                    InstanceParameters.ExtensionsOf(catalog?.ReleaseOf(state.ServiceId, state.MaintenanceVersion), state.Parameters), [], ct);
                return new DatabaseProvisioned(instanceId, operationId, access.Database, access.Username, secrets.Protect(password), recorder.Now);
            },
            reason => new ResourceProvisioningFailed(instanceId, operationId, ResourceKind.Database, reason, recorder.Now));
        await recorder.RecordOrOrphan(context, instanceId, operationId, outcome, ResourceKind.Database, nameof(DatabaseSubProvisioner));
    }

    public async Task Consume(ConsumeContext<DeprovisionDatabase> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(context, instanceId, operationId) is not { } state) return;
        var placement = DatabasePlacement.Of(state);
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                await backends.DatabaseOf(state.ServiceId).Deprovision(placement.ServerInstanceId, placement.Database, placement.Owner, placement.ServerStays, ct);
                return new DatabaseDeprovisioned(instanceId, operationId, recorder.Now);
            },
            reason => new ResourceDeprovisioningFailed(instanceId, operationId, ResourceKind.Database, reason, recorder.Now));
        await recorder.Record(context, instanceId, operationId, outcome, nameof(DatabaseSubProvisioner));
    }
}
