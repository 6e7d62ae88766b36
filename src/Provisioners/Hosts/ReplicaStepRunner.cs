using EventSourced.Commands.Secrets;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.Messages;
using MassTransit;

namespace EventSourced.Provisioners.Hosts;

/// <summary>
/// On a host's own queue: carries out a step of a replica whose primary runs on another host, on this host's local
/// backend, and answers it. Every step is idempotent: one re-sent after this node died is done again, or found done.
/// </summary>
public sealed class ReplicaStepRunner(LocalServerBackend servers, SecretProtector secrets) : IConsumer<RunReplicaStep>
{
    public async Task Consume(ConsumeContext<RunReplicaStep> context)
    {
        var (instanceId, index, step) = (context.Message.InstanceId, context.Message.Index, context.Message.Step);
        var ct = context.CancellationToken;
        try
        {
            await Run(context.Message, ct);
            var port = (await servers.ReplicasOf(instanceId, ct)).FirstOrDefault(r => r.Index == index)?.Port;
            await context.RespondAsync(new ReplicaStepDone(instanceId, index, port, null));
        }
        catch (BackendException failed)
        {
            await context.RespondAsync(new ReplicaStepDone(instanceId, index, null, $"{step}: {failed.Message}"));
        }
    }

    private Task Run(RunReplicaStep m, CancellationToken ct) => m.Step switch
    {
        ReplicaStep.Create => servers.CreateReplica(m.InstanceId, m.Index, m.Vm ?? throw new BackendException("no VM named"), m.PreferredPort, ct,
            primaryElsewhere: true),
        ReplicaStep.Copy => servers.CopyPrimary(m.InstanceId, m.Index, m.PrimaryPort ?? throw new BackendException("no primary port"),
            secrets.Unprotect(m.ProtectedPassword ?? throw new BackendException("no replication password")), ct),
        ReplicaStep.Start => servers.StartReplica(m.InstanceId, m.Index, m.Settings ?? new Dictionary<string, string>(), ct),
        ReplicaStep.WaitUntilStreaming => servers.WaitUntilStreaming(m.InstanceId, m.Index, ct),
        ReplicaStep.Stop => servers.StopReplica(m.InstanceId, m.Index, ct),
        ReplicaStep.Remove => servers.RemoveReplicaOfRemotePrimary(m.InstanceId, m.Index, ct),
        _ => Task.CompletedTask,
    };
}
