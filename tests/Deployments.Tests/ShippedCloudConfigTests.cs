using EventSourced.Deployments.Yaml;

namespace EventSourced.Deployments.Tests;

/// <summary>The example the README uploads (infra/cloud-config.yml) is a valid cloud config.</summary>
public sealed class ShippedCloudConfigTests
{
    [Fact]
    public void InfraCloudConfig_Loads_WithAnAzAHostAndTheLocalBackendsPortRange()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "EventSourced.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var file = Path.Combine(root.FullName, "infra", "cloud-config.yml");

        var cloud = CloudConfigLoader.Load("infra/cloud-config.yml", File.ReadAllText(file));

        Assert.Equal(["node-1"], Assert.Single(cloud.Azs).Hosts);
        Assert.Contains("127.0.0.1:30000", Assert.Single(Assert.Single(cloud.Networks).Subnets).Range);
        Assert.NotNull(cloud.VmType("dedicated-small"));
    }
}
