using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Tests.Bus;

/// <summary>The broker never phones home: MassTransit's usage report to its vendor stays off.</summary>
public sealed class UsageTelemetryTests
{
    [Fact]
    public void AddProvisioners_TurnsMassTransitUsageTelemetryOff()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddProvisioners(new ConfigurationBuilder().Build());
        using var provider = services.BuildServiceProvider();

        Assert.False(provider.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled);
    }
}
