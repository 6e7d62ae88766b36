using System.Text.Json;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.Json;
using EventSourced.Commands.ServiceInstances;
using Microsoft.Extensions.Options;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>
/// Parameter <c>azs</c>, checked before anything is recorded: a non-empty list of distinct names of the current cloud
/// config's AZs, no more of them than servers (<c>instances</c>, the request's or the instance's), holding the AZ of the
/// primary's host; refused naming the problem. Hostile values are named, never echoed whole.
/// </summary>
public sealed class AzSpreadTests
{
    private static readonly CloudAzs Cloud = new(4, [new CloudAz("z1", ["node-a"]), new CloudAz("z2", ["node-b"]), new CloudAz("z3", ["node-c"])]);

    /// <summary>The refusals of <paramref name="request"/> on an instance whose primary runs on node-a with <paramref name="current"/>.</summary>
    private static IReadOnlyList<string> Refusals(string request, string? current = """{"instances":2}""", CloudAzs? cloud = null, string? primaryHost = "node-a")
    {
        var body = JsonDocument.Parse(request).RootElement;
        return AzSpread.Refusals(body, JsonText.Merge(current, request), cloud ?? Cloud, primaryHost);
    }

    [Theory]
    [InlineData("""{"azs":["z1","z2"]}""")]
    [InlineData("""{"azs":["z2","z1"]}""")]
    [InlineData("""{"azs":["z1"]}""")]
    [InlineData("""{"instances":3,"azs":["z1","z2","z3"]}""")]
    [InlineData("""{"azs":null}""")]
    [InlineData("""{"max_connections":50}""")]
    public void AListOfTheCloudConfigsAzs_WithThePrimarysAz_AndNoMoreThanServers_IsAccepted(string request)
    {
        Assert.Empty(Refusals(request));
    }

    [Theory]
    [InlineData("""{"azs":[]}""", "parameters.azs must name at least one AZ, not [].")]
    [InlineData("""{"azs":"z1"}""", "parameters.azs must be a non-empty list of distinct AZ names, not \"z1\".")]
    [InlineData("""{"azs":3}""", "parameters.azs must be a non-empty list of distinct AZ names, not 3.")]
    [InlineData("""{"azs":{"z1":true}}""", "parameters.azs must be a non-empty list of distinct AZ names, not {\"z1\":true}.")]
    [InlineData("""{"azs":["z1",2]}""", "parameters.azs[1] must be an AZ name (a non-empty string), not 2.")]
    [InlineData("""{"azs":["z1",["z2"]]}""", "parameters.azs[1] must be an AZ name (a non-empty string), not [\"z2\"].")]
    [InlineData("""{"azs":["z1",{"name":"z2"}]}""", "parameters.azs[1] must be an AZ name (a non-empty string), not {\"name\":\"z2\"}.")]
    [InlineData("""{"azs":["z1",null]}""", "parameters.azs[1] must be an AZ name (a non-empty string), not null.")]
    [InlineData("""{"azs":["z1",""]}""", "parameters.azs[1] must be an AZ name (a non-empty string), not \"\".")]
    [InlineData("""{"azs":["z1","z1"]}""", "parameters.azs names 'z1' 2 times: each AZ once.")]
    [InlineData("""{"azs":["z1","z9"]}""", "parameters.azs names 'z9', which is not an AZ of cloud config version 4 (its AZs: z1, z2, z3).")]
    [InlineData("""{"azs":["z1","z2","z3"]}""",
        "parameters.azs names 3 AZs, more than the instance's 2 servers (parameters.instances): every AZ needs a server, so raise instances or name fewer AZs.")]
    [InlineData("""{"azs":["z2","z3"]}""", "parameters.azs must include z1, the AZ of the primary's host node-a: the primary never moves.")]
    public void AHostileOrImpossibleList_IsRefused_NamingTheProblem(string request, string refusal)
    {
        Assert.Equal([refusal], Refusals(request));
    }

    [Fact]
    public void AnEnormousValue_IsNamedCutShort()
    {
        var huge = JsonSerializer.Serialize(new { azs = new string('x', 5000) });

        var refusal = Assert.Single(Refusals(huge));

        Assert.True(refusal.Length < 200, refusal);
        Assert.EndsWith("....", refusal);
    }

    [Fact]
    public void WithoutACloudConfig_AnyAzsAreRefused()
    {
        var refusals = AzSpread.Refusals(JsonDocument.Parse("""{"azs":["z1"]}""").RootElement, """{"azs":["z1"]}""", cloud: null, "node-a");

        Assert.Equal(["parameters.azs needs a cloud config with AZs, and none was uploaded (PUT /api/v1/cloud-config)."], refusals);
    }

    [Fact]
    public void ScalingDownBelowTheAzsTheInstanceHas_IsRefused_AndScalingWithinThemIsNot()
    {
        const string spread = """{"instances":3,"azs":["z1","z2","z3"]}""";

        Assert.Contains("names 3 AZs, more than the instance's 2 servers", Assert.Single(Refusals("""{"instances":2}""", spread)));
        Assert.Empty(Refusals("""{"instances":3}""", spread));
        Assert.Empty(Refusals("""{"instances":2,"azs":["z1","z2"]}""", spread));
        Assert.Empty(Refusals("""{"instances":1,"azs":null}""", spread));
    }

    [Fact]
    public void APrimaryOnAHostInNoAz_CannotBeSpread()
    {
        Assert.Equal(["parameters.azs cannot be honoured: the primary's host node-x is in no AZ of cloud config version 4 (its AZs: z1, z2, z3)."],
            Refusals("""{"azs":["z1"]}""", primaryHost: "node-x"));
    }

    [Fact]
    public void AtProvisioning_ThereIsNoPrimaryYet_TheRestIsChecked()
    {
        Assert.Empty(Refusals("""{"instances":2,"azs":["z2","z3"]}""", current: null, primaryHost: null));
        Assert.Single(Refusals("""{"instances":1,"azs":["z2","z3"]}""", current: null, primaryHost: null));
    }

    [Fact]
    public void ThePatchValidator_ChecksAzsAgainstTheInstanceAsItsStreamHasIt_AndTheCloudConfig()
    {
        var plan = new ServicePlan { Id = "small", Name = "small", Description = "small", DiskMb = 1024, Metadata = { [InstanceCount.LimitMetadata] = "3" } };
        var service = new ServiceOffering { Id = "svc", Name = "postgresql", Description = "PostgreSQL", Plans = [plan] };
        var validator = new InstanceUpdateValidator(new ServiceCatalog(Options.Create(new CatalogOptions { Services = [service] })));
        var instance = ServiceInstance.Initial with
        {
            Id = Guid.NewGuid(), ServiceId = "svc", PlanId = "small", Status = InstanceStatus.Provisioned, Host = "node-a", Parameters = """{"instances":2}""",
        };
        InstanceUpdate Patch(string parameters, CloudAzs? cloud) => new(instance, "svc", null, JsonDocument.Parse(parameters).RootElement, null, cloud);

        Assert.True(validator.Validate(Patch("""{"azs":["z1","z2"]}""", Cloud)).IsValid);
        Assert.Equal(["parameters.azs must include z1, the AZ of the primary's host node-a: the primary never moves."],
            validator.Validate(Patch("""{"azs":["z2"]}""", Cloud)).Errors.Select(e => e.ErrorMessage));
        Assert.Equal(["parameters.instances must be an integer from 1 to 3 (plan small's max_instances), not 4.", "parameters.azs must name at least one AZ, not []."],
            validator.Validate(Patch("""{"instances":4,"azs":[]}""", Cloud)).Errors.Select(e => e.ErrorMessage));
        Assert.False(validator.Validate(Patch("""{"azs":["z1"]}""", cloud: null)).IsValid);
        Assert.True(validator.Validate(Patch("""{"instances":3}""", cloud: null)).IsValid);
    }

    [Fact]
    public void TheAzsAsked_AreReadBack()
    {
        Assert.Equal(["z1", "z2"], AzSpread.Of("""{"instances":2,"azs":["z1","z2"]}"""));
        Assert.Null(AzSpread.Of("""{"instances":2}"""));
        Assert.Null(AzSpread.Of(null));
    }
}
