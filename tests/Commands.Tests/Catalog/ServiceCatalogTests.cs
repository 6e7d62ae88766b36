using EventSourced.Commands.Catalog;
using Microsoft.Extensions.Options;

namespace EventSourced.Commands.Tests.Catalog;

public sealed class ServiceCatalogTests
{
    private static ServiceOffering Service(params ServicePlan[] plans) => new() { Id = "svc", Name = "postgresql", Plans = [.. plans] };

    private static ServicePlan Plan(string id, int diskMb = 1024) => new() { Id = id, Name = id, DiskMb = diskMb };

    [Fact]
    public void FindPlan_KnownAndUnknown()
    {
        var catalog = new ServiceCatalog(Options.Create(new CatalogOptions { Services = [Service(Plan("small"), Plan("large", 10240))] }));
        Assert.Equal(10240, catalog.FindPlan("svc", "large")!.DiskMb);
        Assert.Null(catalog.FindPlan("svc", "huge"));
        Assert.Null(catalog.FindPlan("other", "small"));
    }

    [Fact]
    public void InvalidCatalog_FailsWithEveryProblemNamed()
    {
        var options = new CatalogOptions { Services = [Service(Plan("small", 0), Plan("small"), new ServicePlan { Name = "x", DiskMb = 1 })] };
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCatalog(Options.Create(options)));
        Assert.Contains("Catalog:Services:0:Plans:0:DiskMb must be positive", error.Message);
        Assert.Contains("Id 'small' is used more than once", error.Message);
        Assert.Contains("Catalog:Services:0:Plans:2:Id is required", error.Message);
    }

    [Fact]
    public void EmptyCatalog_IsRefused() =>
        Assert.Contains("empty", Assert.Throws<InvalidOperationException>(() => new ServiceCatalog(Options.Create(new CatalogOptions()))).Message);
}
