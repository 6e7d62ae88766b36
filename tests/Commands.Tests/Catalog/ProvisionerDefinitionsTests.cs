using System.Text.Json;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using Microsoft.Extensions.Options;

namespace EventSourced.Commands.Tests.Catalog;

/// <summary>Provisioner stanzas as the catalog reads them: the services they bring, their offerings in the plan schemas, each mistake named.</summary>
public sealed class ProvisionerDefinitionsTests
{
    private static ServiceOffering Postgres() => new()
    {
        Id = "pg", Name = "postgresql", Description = "PostgreSQL", Bindable = true,
        Plans = [new ServicePlan { Id = "pg-small", Name = "small", Description = "small", DiskMb = 1024 }],
    };

    private static ProvisionerDefinition Default() => new()
    {
        Default = true, ResourceUri = "postgresql://{host}:{port}/{database}",
        Provides = new ProvidedSteps { Instance = "postgresql-server", Storage = "local-directory", Database = "postgresql-database" },
    };

    private static ProvisionerDefinition Redis() => new()
    {
        ResourceUri = "redis://{host}:{port}",
        Provides = new ProvidedSteps { Instance = "redis-server", Storage = "local-directory", Database = "none" },
        Offerings = new() { ["maxmemory_policy"] = new OfferingChoice { Values = ["noeviction", "allkeys-lru"] } },
        Service = new ServiceOffering
        {
            Id = "redis", Name = "redis-on-demand", Description = "Redis", Bindable = true,
            Plans = [new ServicePlan { Id = "redis-small", Name = "small-redis", Description = "small", DiskMb = 256, Shape = InstanceShape.Server }],
        },
    };

    private static ServiceCatalog Catalog(params (string Name, ProvisionerDefinition Definition)[] stanzas) =>
        new(Options.Create(new CatalogOptions { Services = [Postgres()] }),
            Options.Create(new ProvisionerDefinitionsOptions { Definitions = stanzas.ToDictionary(s => s.Name, s => s.Definition) }));

    private static string Problems(params (string, ProvisionerDefinition)[] stanzas) =>
        Assert.Throws<InvalidOperationException>(() => Catalog(stanzas)).Message;

    [Fact]
    public void Stanzas_BringTheirServices_AndEachServiceFindsItsProvisioner()
    {
        var catalog = Catalog(("postgresql", Default()), ("redis", Redis()));

        Assert.Equal(["pg", "redis"], catalog.Services.Select(s => s.Id));
        Assert.Equal("postgresql", catalog.ProvisionerOf("pg")!.Name);
        Assert.Equal("redis", catalog.ProvisionerOf("redis")!.Name);
        Assert.Equal("redis://127.0.0.1:56001", catalog.ProvisionerOf("redis")!.ResourceUriOf(Guid.NewGuid(), "127.0.0.1", 56001, null));
    }

    [Fact]
    public void DisabledStanza_BringsNothing()
    {
        var redis = Redis();
        redis.Enabled = false;

        var catalog = Catalog(("postgresql", Default()), ("redis", redis));

        Assert.Null(catalog.FindService("redis"));
        Assert.Null(catalog.ProvisionerOf("redis"));
    }

    [Fact]
    public void Offerings_AreChoicesOfThePlanSchemas_AndNothingElseIsAccepted()
    {
        var catalog = Catalog(("postgresql", Default()), ("redis", Redis()));
        var plan = catalog.FindPlan("redis", "redis-small")!;

        Assert.Empty(catalog.Schemas.Validate(plan, SchemaKind.ServiceInstanceCreate, Json("""{"maxmemory_policy":"allkeys-lru"}""")));
        Assert.NotEmpty(catalog.Schemas.Validate(plan, SchemaKind.ServiceInstanceCreate, Json("""{"maxmemory_policy":"volatile-everything"}""")));
        Assert.NotEmpty(catalog.Schemas.Validate(plan, SchemaKind.ServiceInstanceUpdate, Json("""{"unknown":"x"}""")));
        var choices = catalog.Schemas.Find(plan, SchemaKind.ServiceInstanceCreate)!.Value
            .GetProperty("properties").GetProperty("maxmemory_policy").GetProperty("enum");
        Assert.Equal(["noeviction", "allkeys-lru"], choices.EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public void MisconfiguredStanzas_AreRefused_EachProblemNamedByItsSetting()
    {
        var noService = Redis();
        noService.Service = null;
        var badUri = Redis();
        badUri.ResourceUri = "redis://{hostname}:{port}";
        badUri.Service!.Id = "redis-2";
        badUri.Service.Plans[0].Id = "redis-2-small";
        var noSteps = Redis();
        noSteps.Provides = new ProvidedSteps { Database = "postgresql-database" };
        noSteps.Service!.Id = "redis-3";
        noSteps.Service.Plans[0].Id = "redis-3-small";

        var problems = Problems(("postgresql", Default()), ("a", noService), ("b", badUri), ("c", noSteps));

        Assert.Contains("Provisioners:Definitions:a:Service is required", problems);
        Assert.Contains("Provisioners:Definitions:b:ResourceUri 'redis://{hostname}:{port}' has unknown placeholders {hostname}", problems);
        Assert.Contains("Provisioners:Definitions:c:Provides:Instance is required", problems);
        Assert.Contains("Provisioners:Definitions:c:Provides:Storage is required", problems);
        Assert.Contains("Provisioners:Definitions:c:Service:Plans:0:Shape: a Server plan has no database step", problems);
    }

    [Fact]
    public void NoDefaultStanza_IsRefused_TheCatalogServicesWouldHaveNoProvisioner()
    {
        var notDefault = Default();
        notDefault.Default = false;
        notDefault.Service = null;

        Assert.Contains("exactly one enabled stanza must have Default=true", Problems(("postgresql", notDefault)));
    }

    [Fact]
    public void OfferingWithoutValues_IsRefused()
    {
        var redis = Redis();
        redis.Offerings["maxmemory_policy"].Values.Clear();

        Assert.Contains("Provisioners:Definitions:redis:Offerings:maxmemory_policy:Values must list", Problems(("postgresql", Default()), ("redis", redis)));
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;
}
