using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using Microsoft.Extensions.Options;

namespace EventSourced.Commands.Tests.Catalog;

/// <summary>The provision validator against a plan with a parameters schema and maintenance_info 1.0.0.</summary>
public sealed class ProvisionValidationTests : IDisposable
{
    private readonly string _schema = Path.Combine(Path.GetTempPath(), $"schema-{Guid.NewGuid():N}.json");
    private readonly ProvisionServiceInstanceValidator _validator;

    public ProvisionValidationTests()
    {
        File.WriteAllText(_schema, """
            {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": false,
             "properties": {"max_connections": {"type": "integer", "minimum": 10, "maximum": 500}}}
            """);
        var plan = new ServicePlan
        {
            Id = "small", Name = "small", Description = "small", DiskMb = 1024,
            MaintenanceInfo = new PlanMaintenanceInfo { Version = "1.0.0" },
            Schemas = new PlanSchemaFiles { ServiceInstanceCreate = _schema },
        };
        var service = new ServiceOffering { Id = "svc", Name = "postgresql", Description = "PostgreSQL", Plans = [plan] };
        _validator = new ProvisionServiceInstanceValidator(new ServiceCatalog(Options.Create(new CatalogOptions { Services = [service] })));
    }

    public void Dispose() => File.Delete(_schema);

    private static ProvisionServiceInstance Provision(string? parameters = null, string? maintenanceInfoVersion = null) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "svc", "small", "org", "space", parameters, null, 1024, DateTimeOffset.UnixEpoch, maintenanceInfoVersion);

    [Theory]
    [InlineData(null)]
    [InlineData("{}")]
    [InlineData("""{"max_connections": 200}""")]
    public void ParametersThatFitTheSchema_AreValid(string? parameters) => Assert.True(_validator.Validate(Provision(parameters)).IsValid);

    [Fact]
    public void ParametersAgainstTheSchema_EveryErrorListed()
    {
        var result = _validator.Validate(Provision("""{"max_connections": 5, "fsync": false}"""));
        Assert.Equal(["parameters/max_connections: 5 should be at least 10.", "parameters/fsync: Value is not allowed."],
            result.Errors.Select(e => e.ErrorMessage));
        Assert.All(result.Errors, e => Assert.Equal("parameters", e.PropertyName));
    }

    [Fact]
    public void ParametersThatAreNotAnObject_OneError() =>
        Assert.Equal(["parameters must be a JSON object."], _validator.Validate(Provision("[1]")).Errors.Select(e => e.ErrorMessage));

    [Fact]
    public void MaintenanceInfo_SameVersion_IsValid() => Assert.True(_validator.Validate(Provision(maintenanceInfoVersion: "1.0.0")).IsValid);

    [Fact]
    public void MaintenanceInfo_OtherVersion_IsAMaintenanceInfoConflict()
    {
        var error = Assert.Single(_validator.Validate(Provision(maintenanceInfoVersion: "0.9.0")).Errors);
        Assert.Equal(nameof(DomainErrorCode.MaintenanceInfoConflict), error.ErrorCode);
        Assert.Contains("'0.9.0' is not the plan's (1.0.0)", error.ErrorMessage);
    }
}
