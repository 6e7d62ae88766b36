using EventSourced.Commands.CloudConfigs;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.CloudConfigs;

/// <summary>The cloud config's versions: each upload a new version, an unchanged one nothing, a stale edit refused.</summary>
public sealed class CloudConfigDecisionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private const string V1 = "azs: [{name: z1, hosts: [node-a]}]\n";
    private const string V2 = "azs: [{name: z1, hosts: [node-a, node-b]}]\n";

    private static UpdateCloudConfig Upload(string yaml, int? expected = null) => new(Guid.NewGuid(), yaml, expected, "ops", Now);

    private static CloudConfigHistory After(params string[] uploads) =>
        uploads.Aggregate(CloudConfigHistory.Empty, (state, yaml) =>
            CloudConfigHistory.Fold([.. state.Versions, .. ((Decision.Accepted)CloudConfigHistory.Decide(state, Upload(yaml))).Events]));

    [Fact]
    public void FirstUpload_IsVersionOne_WithItsChecksumAndUploader()
    {
        var decision = CloudConfigHistory.Decide(CloudConfigHistory.Empty, Upload(V1));

        var updated = Assert.IsType<CloudConfigUpdated>(Assert.Single(Assert.IsType<Decision.Accepted>(decision).Events));
        Assert.Equal((1, V1, "ops"), (updated.Version, updated.Yaml, updated.UpdatedBy));
        Assert.Equal(CloudConfigHistory.Sha256Of(V1), updated.Sha256);
        Assert.Equal(64, updated.Sha256.Length);
    }

    [Fact]
    public void EveryVersionStaysReadable_AndTheLastIsCurrent()
    {
        var state = After(V1, V2);

        Assert.Equal(2, state.Current!.Version);
        Assert.Equal(V1, state.Version(1)!.Yaml);
        Assert.Equal(V2, state.Version(2)!.Yaml);
        Assert.Null(state.Version(3));
    }

    [Fact]
    public void TheCurrentTextAgain_RecordsNothing() =>
        Assert.IsType<Decision.AlreadyDone>(CloudConfigHistory.Decide(After(V1), Upload(V1)));

    [Fact]
    public void AnEditOfAnOlderVersion_IsRefusedNamingTheCurrentOne()
    {
        var refused = Assert.IsType<Decision.Rejected>(CloudConfigHistory.Decide(After(V1, V2), Upload("azs: []\n", expected: 1)));

        Assert.Equal(DomainErrorCode.Conflict, refused.Error.Code);
        Assert.Contains("version 2, not 1", refused.Error.Description);
        Assert.IsType<Decision.Accepted>(CloudConfigHistory.Decide(After(V1, V2), Upload("azs: []\n", expected: 2)));
        Assert.IsType<Decision.Accepted>(CloudConfigHistory.Decide(CloudConfigHistory.Empty, Upload(V1, expected: 0)));
    }
}
