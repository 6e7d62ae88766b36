using EventSourced.Commands.Catalog;
using Microsoft.Extensions.Options;

namespace EventSourced.Commands.Tests.Catalog;

public sealed class ServiceCatalogTests
{
    private static ServiceOffering Service(params ServicePlan[] plans) =>
        new() { Id = "svc", Name = "postgresql", Description = "PostgreSQL", Plans = [.. plans] };

    private static ServicePlan Plan(string id, int diskMb = 1024) => new() { Id = id, Name = id, Description = id, DiskMb = diskMb };

    private static ServiceCatalog Catalog(params ServiceOffering[] services) => new(Options.Create(new CatalogOptions { Services = [.. services] }));

    private static string Problems(params ServiceOffering[] services) =>
        Assert.Throws<InvalidOperationException>(() => Catalog(services)).Message;

    [Fact]
    public void FindPlan_KnownAndUnknown()
    {
        var catalog = Catalog(Service(Plan("small"), Plan("large", 10240)));
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
        Assert.Contains("Catalog:Services:0:Plans:2:Description is required", error.Message);
    }

    [Fact]
    public void EmptyCatalog_IsRefused() =>
        Assert.Contains("empty", Assert.Throws<InvalidOperationException>(() => new ServiceCatalog(Options.Create(new CatalogOptions()))).Message);

    [Theory]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("01.0.0")]
    [InlineData("")]
    public void MaintenanceInfo_VersionThatIsNotSemver_IsRefused(string version)
    {
        var plan = Plan("small");
        plan.MaintenanceInfo = new PlanMaintenanceInfo { Version = version };
        Assert.Contains($"Catalog:Services:0:Plans:0:MaintenanceInfo:Version '{version}' is not a semantic version", Problems(Service(plan)));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.1.1+abcdef")]
    [InlineData("1.0.0-rc.1")]
    public void MaintenanceInfo_SemverVersion_IsAccepted(string version)
    {
        var plan = Plan("small");
        plan.MaintenanceInfo = new PlanMaintenanceInfo { Version = version };
        Assert.Equal(version, Catalog(Service(plan)).FindPlan("svc", "small")!.MaintenanceInfo!.Version);
    }

    [Fact]
    public void Releases_AreNamedOnceBySemver_AndListEveryPlansRelease_AndAreFoundByVersion()
    {
        var plan = Plan("small");
        plan.MaintenanceInfo = new PlanMaintenanceInfo { Version = "2.0.0" };
        var described = Service(plan);
        described.Releases = [new ServiceRelease { Version = "1.0.0" }, new ServiceRelease { Version = "2.0.0", Extensions = ["pg_trgm"] }];
        var undescribed = Service(plan);
        undescribed.Releases = [new ServiceRelease { Version = "1.0.0" }, new ServiceRelease { Version = "1.0.0" }, new ServiceRelease { Version = "two" }];

        var problems = Problems(undescribed);

        Assert.Contains("Catalog:Services:0:Plans:0:MaintenanceInfo:Version '2.0.0' is not among Catalog:Services:0:Releases", problems);
        Assert.Contains("Catalog:Services:0:Releases: version '1.0.0' is described more than once", problems);
        Assert.Contains("Catalog:Services:0:Releases:2:Version 'two' is not a semantic version", problems);
        Assert.Equal(["pg_trgm"], Catalog(described).ReleaseOf("svc", "2.0.0")!.Extensions);
        Assert.Null(Catalog(described).ReleaseOf("svc", "3.0.0"));
    }

    [Fact]
    public void PollingDurationAndCredentialLifetime_MustBePositive()
    {
        var plan = Plan("small");
        plan.MaximumPollingDuration = 0;
        plan.CredentialLifetime = TimeSpan.Zero;
        var problems = Problems(Service(plan));
        Assert.Contains("Catalog:Services:0:Plans:0:MaximumPollingDuration must be a positive number of seconds", problems);
        Assert.Contains("Catalog:Services:0:Plans:0:CredentialLifetime must be positive", problems);
    }

    [Fact]
    public void BindingRotatable_OnANonBindablePlan_IsRefused()
    {
        var plan = Plan("small");
        plan.BindingRotatable = true;
        Assert.Contains("Catalog:Services:0:Plans:0:BindingRotatable needs a bindable plan", Problems(Service(plan)));
    }

    [Fact]
    public void AllowedPlanTransitions_MustNameOtherUpdateablePlansOfTheService()
    {
        var small = Plan("small");
        small.PlanUpdateable = true;
        small.AllowedPlanTransitions = ["large", "small", "elsewhere"];
        var large = Plan("large");
        var fixedPlan = Plan("fixed");
        fixedPlan.AllowedPlanTransitions = ["small"];
        var problems = Problems(Service(small, large, fixedPlan));
        Assert.Contains("Catalog:Services:0:Plans:0:AllowedPlanTransitions: plan 'large' is not plan-updateable", problems);
        Assert.Contains("Catalog:Services:0:Plans:0:AllowedPlanTransitions: 'small' is not another plan of this service", problems);
        Assert.Contains("Catalog:Services:0:Plans:0:AllowedPlanTransitions: 'elsewhere' is not another plan of this service", problems);
        Assert.Contains("Catalog:Services:0:Plans:2:AllowedPlanTransitions needs a plan-updateable plan", problems);
    }

    [Fact]
    public void AllowsPlanChange_OnlyAlongConfiguredTransitions()
    {
        var small = Plan("small");
        small.AllowedPlanTransitions = ["large"];
        var large = Plan("large");
        var service = Service(small, large, Plan("other"));
        service.PlanUpdateable = true;
        var catalog = Catalog(service);
        Assert.True(catalog.AllowsPlanChange("svc", "small", "large"));
        Assert.False(catalog.AllowsPlanChange("svc", "large", "small"));
        Assert.False(catalog.AllowsPlanChange("svc", "small", "other"));
        Assert.False(catalog.AllowsPlanChange("svc", "small", "unknown"));
    }

    [Fact]
    public void SchemaFiles_AreLoadedPerPlanAndKind()
    {
        using var schemas = new SchemaFiles();
        var plan = Plan("small");
        plan.Schemas.ServiceInstanceCreate = schemas.Write("""{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}""");
        var catalog = Catalog(Service(plan));
        Assert.NotNull(catalog.Schemas.Find(plan, SchemaKind.ServiceInstanceCreate));
        Assert.Null(catalog.Schemas.Find(plan, SchemaKind.ServiceBindingCreate));
    }

    [Fact]
    public void SchemaFiles_MissingUnreadableOrInvalid_AreNamed()
    {
        using var schemas = new SchemaFiles();
        var plan = Plan("small");
        plan.Schemas.ServiceInstanceCreate = Path.Combine(schemas.Directory, "missing.json");
        plan.Schemas.ServiceInstanceUpdate = schemas.Write("{ not json");
        plan.Schemas.ServiceBindingCreate = schemas.Write("""{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"a": {"oneOf": []}}}""");
        var problems = Problems(Service(plan));
        Assert.Contains("Catalog:Services:0:Plans:0:Schemas:ServiceInstanceCreate: the schema file", problems);
        Assert.Contains("does not exist", problems);
        Assert.Contains("Catalog:Services:0:Plans:0:Schemas:ServiceInstanceUpdate:", problems);
        Assert.Contains("is not valid JSON", problems);
        Assert.Contains("Catalog:Services:0:Plans:0:Schemas:ServiceBindingCreate (", problems);
        Assert.Contains("'oneOf' requires at least one subschema", problems);
    }

    private sealed class SchemaFiles : IDisposable
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("schemas").FullName;

        public string Write(string json)
        {
            var path = Path.Combine(Directory, $"{Guid.NewGuid():N}.json");
            File.WriteAllText(path, json);
            return path;
        }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
