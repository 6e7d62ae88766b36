using EventSourced.Commands.Secrets;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.Messages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Hosts;

/// <summary>
/// Sends a replica step to its host's own queue (<see cref="HostQueue"/>) and waits for the answer: a host that is down
/// keeps the step in its queue and answers once it is back, within <see cref="WorkerHostOptions.RemoteStepTimeout"/>.
/// </summary>
public sealed class BusReplicaSteps(IBus bus, SecretProtector secrets, IOptions<WorkerHostOptions> options) : IRemoteReplicaSteps
{
    public async Task<int?> Run(string host, RemoteReplicaStep step, CancellationToken ct)
    {
        var client = bus.CreateRequestClient<RunReplicaStep>(HostQueue.Address(host), RequestTimeout.After(ms: (int)options.Value.RemoteStepTimeout.TotalMilliseconds));
        var message = new RunReplicaStep(step.InstanceId, step.Index, step.Step, step.Vm, step.PreferredPort, step.Settings, step.PrimaryPort,
            step.Password is null ? null : secrets.Protect(step.Password));
        Response<ReplicaStepDone> answer;
        try
        {
            answer = await client.GetResponse<ReplicaStepDone>(message, ct);
        }
        catch (RequestTimeoutException)
        {
            throw new BackendException($"host {host} did not carry out step {step.Step} of replica {step.Index} within {options.Value.RemoteStepTimeout}");
        }
        catch (RequestFaultException fault)
        {
            throw new BackendException($"host {host} failed step {step.Step} of replica {step.Index}: {fault.Fault?.Exceptions.FirstOrDefault()?.Message}");
        }
        return answer.Message.Failure is { } failure
            ? throw new BackendException($"host {host} failed step {failure}")
            : answer.Message.Port;
    }
}
