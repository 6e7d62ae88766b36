using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Provisioning;

/// <summary>A provisioner stanza that does not hold together stops the broker at start, naming the setting.</summary>
public sealed class MisconfiguredProvisionerTests
{
    private const string Stanza = "Provisioners__Definitions__analytics__";

    public static TheoryData<string, string, string, string> Mistakes() => new()
    {
        // setting changed, its value, the setting the broker must name, what else its message must say
        { "Provides__Instance", "mysql-server", "Provisioners:Definitions:analytics:Provides:Instance", "'mysql-server' names no instance sub-provisioner" },
        { "Provides__Database", "redis-server", "Provisioners:Definitions:analytics:Provides:Database", "postgresql-database" },
        { "ResourceUri", "postgresql://{hostname}:{port}", "Provisioners:Definitions:analytics:ResourceUri", "{hostname}" },
        { "Service__Id", "", "Provisioners:Definitions:analytics:Service:Id", "required" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task Start_WithAMisconfiguredStanza_RefusesToStartNamingTheSetting(string setting, string value, string named, string says)
    {
        var settings = ConfiguredProvisionerTests.AnalyticsStanza();
        settings[Stanza + setting] = value;
        await using var environment = await BrokerEnvironment.Create(settings);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.Start(environment));

        Assert.StartsWith("The broker exited with ", refused.Message);
        Assert.DoesNotContain("The broker exited with 0:", refused.Message);
        Assert.Contains(named, refused.Message);
        Assert.Contains(says, refused.Message);
    }
}
