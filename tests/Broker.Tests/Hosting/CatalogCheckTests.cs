namespace EventSourced.Broker.Tests.Hosting;

/// <summary>A catalog that does not hold together stops the broker at start, naming the setting; it never answers 500.</summary>
public sealed class CatalogCheckTests
{
    [Fact]
    public async Task Start_PlanMaintenanceVersionNotSemver_RefusesToStartNamingTheSetting()
    {
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Catalog__Services__0__Plans__0__MaintenanceInfo__Version"] = "not-semver",
        });

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.Start(environment));

        Assert.StartsWith("The broker exited with ", refused.Message);
        Assert.DoesNotContain("The broker exited with 0:", refused.Message);
        Assert.Contains("Catalog:Services:0:Plans:0:MaintenanceInfo:Version", refused.Message);
        Assert.Contains("not-semver", refused.Message);
    }
}
