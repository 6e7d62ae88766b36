using EventSourced.Provisioners.Backends;
using Npgsql;

namespace EventSourced.Provisioners.Tests.Backends;

public sealed class LoginBackendFixture() : LocalBackendFixture(23800, 23849);

public sealed class LocalBackendLoginTests(LoginBackendFixture fixture) : IClassFixture<LoginBackendFixture>
{
    private const string Database = "app";
    private const string Admin = "app_admin";
    private const string AdminPassword = "admin pass";
    private const string Login = "binding \"one\" 'x'";
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task CreateLogin_LoginWorksWithItsTablesAndTheAdmins_AndCreatingAgainResetsThePassword()
    {
        var (id, endpoint) = await ProvisionInstance(new Dictionary<string, string> { ["log_min_duration_statement"] = "0" });
        await using (var admin = await Sessions.Open(endpoint, Database, Admin, AdminPassword))
            await admin.Scalar<int>("CREATE TABLE before_login (n int); INSERT INTO before_login VALUES (1); SELECT 1");

        await fixture.Database.CreateLogin(id, Database, Admin, Login, "first 'pw'", validUntil: null, None);

        await using (var admin = await Sessions.Open(endpoint, Database, Admin, AdminPassword))
            await admin.Scalar<int>("CREATE TABLE after_login (id serial, n int); SELECT 1");
        await using (var login = await Sessions.Open(endpoint, Database, Login, "first 'pw'"))
        {
            Assert.Equal(1L, await login.Scalar<long>("CREATE TABLE mine (name text); INSERT INTO mine VALUES ('a'); SELECT count(*) FROM mine"));
            Assert.Equal(1, await login.Scalar<int>("SELECT n FROM before_login"));
            Assert.Equal(2, await login.Scalar<int>("UPDATE before_login SET n = 2; SELECT n FROM before_login"));
            Assert.Equal(1, await login.Scalar<int>("INSERT INTO after_login (n) VALUES (7) RETURNING id"));
        }

        await fixture.Database.CreateLogin(id, Database, Admin, Login, "second", validUntil: null, None);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => Sessions.Open(endpoint, Database, Login, "first 'pw'"));
        Assert.Equal(Sessions.PasswordFailed, refused.SqlState);
        await using (var login = await Sessions.Open(endpoint, Database, Login, "second"))
            Assert.Equal("a", await login.Scalar<string>("SELECT name FROM mine"));
        var serverLog = await File.ReadAllTextAsync(Path.Combine(fixture.DataRoot, id.ToString(), "server.log"));
        Assert.Contains("SELECT name FROM mine", serverLog);
        Assert.DoesNotContain("first 'pw'", serverLog.Replace("''", "'"));
        Assert.DoesNotContain("second", serverLog);
    }

    [Fact]
    public async Task DropLogin_EndsItsSessionsGivesItsTablesToTheAdminAndDropsTheRole_AndTwiceOrWithoutServerIsFine()
    {
        var (id, endpoint) = await ProvisionInstance();
        await fixture.Database.CreateLogin(id, Database, Admin, Login, "pw", validUntil: null, None);
        await using var session = await Sessions.Open(endpoint, Database, Login, "pw");
        await session.Scalar<int>("CREATE TABLE theirs (n int); INSERT INTO theirs VALUES (42); SELECT 1");

        await fixture.Database.DropLogin(id, Database, Admin, Login, None);
        await fixture.Database.DropLogin(id, Database, Admin, Login, None);

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => session.Scalar<int>("SELECT 1"));
        await Assert.ThrowsAsync<PostgresException>(() => Sessions.Open(endpoint, Database, Login, "pw"));
        await using (var admin = await Sessions.Open(endpoint, Database, Admin, AdminPassword))
        {
            Assert.Equal(0L, await admin.Scalar<long>($"SELECT count(*) FROM pg_roles WHERE rolname = '{Login.Replace("'", "''")}'"));
            Assert.Equal(Admin, await admin.Scalar<string>("SELECT tableowner::text FROM pg_tables WHERE tablename = 'theirs'"));
            Assert.Equal(42, await admin.Scalar<int>("SELECT n FROM theirs"));
        }
        await fixture.Server.Deprovision(id, None);
        await fixture.Database.DropLogin(id, Database, Admin, Login, None);
    }

    [Fact]
    public async Task CreateLogin_ValidUntilInThePast_RefusesTheLogin()
    {
        var (id, endpoint) = await ProvisionInstance();
        await fixture.Database.CreateLogin(id, Database, Admin, Login, "pw", DateTimeOffset.UtcNow.AddHours(1), None);
        await (await Sessions.Open(endpoint, Database, Login, "pw")).DisposeAsync();

        await fixture.Database.CreateLogin(id, Database, Admin, Login, "pw", DateTimeOffset.UtcNow.AddMinutes(-1), None);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => Sessions.Open(endpoint, Database, Login, "pw"));
        Assert.Equal(Sessions.PasswordFailed, refused.SqlState);
    }

    private async Task<(Guid, ServerEndpoint)> ProvisionInstance(IReadOnlyDictionary<string, string>? settings = null)
    {
        var id = fixture.NewInstance();
        await fixture.Storage.Provision(id, 512, None);
        var endpoint = await fixture.Server.Provision(id, settings ?? LocalBackendFixture.NoSettings, None);
        await fixture.Database.Provision(id, Database, Admin, AdminPassword, None);
        return (id, endpoint);
    }
}
