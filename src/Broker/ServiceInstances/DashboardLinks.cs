using EventSourced.Broker.Hosting;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.ServiceInstances;

/// <summary>Where an instance's dashboard lives, from the broker's public URL.</summary>
public sealed class DashboardLinks(IOptions<BrokerOptions> options)
{
    public string For(Guid instanceId) => $"{options.Value.PublicUrl.TrimEnd('/')}/admin/instances/{instanceId}";
}
