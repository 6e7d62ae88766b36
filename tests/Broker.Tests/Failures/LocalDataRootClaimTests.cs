using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>
/// Two local-backend workers on different data roots would split instances between them (each step lands on either
/// node): the second is refused at start, naming both data roots and the setting, until the first is gone. Workers on
/// the same data root of the same machine share it.
/// </summary>
public sealed class LocalDataRootClaimTests
{
    [Fact]
    public async Task SecondLocalWorkerOnAnotherDataRoot_RefusesToStartNamingBoth_UntilTheFirstIsGone()
    {
        await using var environment = await BrokerEnvironment.Create();
        var otherRoot = environment.DataRoot + "-other";
        Directory.CreateDirectory(otherRoot);
        if (Environment.UserName == "root") System.Diagnostics.Process.Start("chown", ["postgres:", otherRoot]).WaitForExit();
        var onOtherRoot = new Dictionary<string, string> { ["Provisioners__Local__DataRoot"] = otherRoot };
        try
        {
            await using var first = await BrokerProcess.Start(environment);

            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.Start(environment, onOtherRoot));
            Assert.Contains("Provisioners:Local:DataRoot", refused.Message);
            Assert.Contains($"'{otherRoot}'", refused.Message);
            Assert.Contains($"'{environment.DataRoot}'", refused.Message);

            // The same data root on the same machine is the same place: a second worker there is welcome, and works.
            await using (var sameRoot = await BrokerProcess.Start(environment))
            {
                var instanceId = Guid.NewGuid();
                Assert.Equal(HttpStatusCode.Accepted, (await sameRoot.Client.Provision(instanceId)).StatusCode);
                Assert.Equal("succeeded", (await sameRoot.Client.PollUntilDone(instanceId)).State);
            }

            // A worker that dies (no shutdown at all) takes its claim with it.
            await first.Kill();
            await using var second = await BrokerProcess.Start(environment, onOtherRoot);
            Assert.Equal(HttpStatusCode.OK, (await second.Client.GetAsync("/v2/catalog")).StatusCode);
        }
        finally
        {
            Directory.Delete(otherRoot, recursive: true);
        }
    }

    [Fact]
    public async Task PostgresRestarted_TheWorkerClaimsItsDataRootAgain_AndAnotherDataRootIsStillRefused()
    {
        await using var postgres = await PrivatePostgres.Start();
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = postgres.ConnectionString,
        });
        var otherRoot = environment.DataRoot + "-other";
        Directory.CreateDirectory(otherRoot);
        try
        {
            await using var first = await BrokerProcess.Start(environment);

            // The restart ends every session, the claim's with them.
            await postgres.Stop();
            await postgres.StartAgain();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!first.Output.Contains("claimed again"))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the worker did not claim its data root again within 60 s\n{first.Output}");
                await Task.Delay(250);
            }

            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                BrokerProcess.Start(environment, new Dictionary<string, string> { ["Provisioners__Local__DataRoot"] = otherRoot }));
            Assert.Contains($"'{environment.DataRoot}'", refused.Message);
        }
        finally
        {
            Directory.Delete(otherRoot, recursive: true);
        }
    }
}
