using EventSourced.Commands.Hosts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Hosts;

/// <summary>
/// On the shared queues of the sub-provisioners: a message for another host's resources is forwarded, under its own
/// message id, to that host's queue instead of being carried out here (where the instance's disk and server are not).
/// </summary>
public sealed class HostRouting<T>(IOptions<WorkerHostOptions> options) : IFilter<ConsumeContext<T>> where T : class
{
    private readonly string _host = options.Value.Name;

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (context.Message is IRunsOnHost { Host: { } host } && host != _host)
        {
            await context.Forward(HostQueue.Address(host));
            return;
        }
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("host-routing");
}
