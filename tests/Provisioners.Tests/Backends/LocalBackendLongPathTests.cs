using Npgsql;

namespace EventSourced.Provisioners.Tests.Backends;

/// <summary>A data root well past what a unix socket path can hold (users check out below /home/&lt;name&gt;/src/…).</summary>
public sealed class LongPathBackendFixture() : LocalBackendFixture(23750, 23799, string.Join('/', Enumerable.Repeat("a-rather-long-folder-name", 6)));

public sealed class LocalBackendLongPathTests(LongPathBackendFixture fixture) : IClassFixture<LongPathBackendFixture>
{
    [Fact]
    public async Task Provision_DataRootOfMoreThan150Characters_ServerStartsAndItsSuperuserAndAdminConnect()
    {
        Assert.True(fixture.DataRoot.Length > 150, fixture.DataRoot);
        var id = fixture.NewInstance();
        var ct = CancellationToken.None;

        await fixture.Storage.Provision(id, 1024, ct);
        var endpoint = await fixture.Server.Provision(id, LocalBackendFixture.NoSettings, ct);
        var access = await fixture.Database.Provision(id, "app", "app_admin", "long path password", ct);

        var socket = Assert.Single(Directory.EnumerateDirectories("/tmp/esb-sockets")
            .Select(directory => Path.Combine(directory, $".s.PGSQL.{endpoint.Port}")), File.Exists);
        Assert.True(socket.Length <= 107, socket);
        var socketDirectory = Path.GetDirectoryName(socket)!;
        await using var admin = new NpgsqlConnection(
            $"Host={endpoint.Host};Port={endpoint.Port};Database={access.Database};Username={access.Username};Password=long path password;Pooling=false");
        await admin.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT current_user", admin);
        Assert.Equal("app_admin", await query.ExecuteScalarAsync());

        await fixture.Server.Deprovision(id, ct);
        await fixture.Storage.Deprovision(id, ct);
        Assert.False(Directory.Exists(socketDirectory), "the socket directory outlived the instance's storage");
    }
}
