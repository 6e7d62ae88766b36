using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.SubProvisioners;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>
/// A bind without <c>accepts_incomplete=true</c> (or from a platform older than 2.14, which cannot bind asynchronously)
/// promises in its answer what the binding is: 201/200 only with a login that exists, an error only when none remains.
/// The step is made slow for real: the test holds the lock the login's grants take on the dedicated server
/// (<c>pg_advisory_lock(7321)</c>), so the step creates the role and then waits past the broker's synchronous wait.
/// Before the fix the broker answered 422 AsyncRequired after its wait and the binding was created anyway moments later.
/// </summary>
public sealed class SyncBindTests(SyncBindTests.Instance instance) : IClassFixture<SyncBindTests.Instance>
{
    /// <summary>Long enough for a bind on a loaded machine, short enough for the tests that outlast it.</summary>
    private static readonly TimeSpan SynchronousWait = TimeSpan.FromSeconds(15);

    /// <summary>The lock <c>LocalDatabaseBackend</c> takes before a login's grants.</summary>
    private const long GrantLock = 7321;

    private HttpClient Client => instance.Broker.Client;

    [Fact]
    public async Task SyncBind_StepEndsInTime_Returns201_WithALoginThatWorks_AndTheBindingIsCreated()
    {
        var bindingId = Guid.NewGuid();

        var response = await Bind(bindingId);

        var credentials = (await response.AssertStatus(HttpStatusCode.Created))["credentials"]!.AsObject();
        Assert.Equal(1, await Query(credentials, "SELECT 1"));
        await AssertLastOperation(bindingId, "succeeded");
        await (await Client.GetAsync(BindingPath(bindingId))).AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task SyncBind_StepOutlastsTheWait_Answers500_TheBindingIsFailed_AndTheLateLoginIsDroppedAgain()
    {
        var bindingId = Guid.NewGuid();
        HttpResponseMessage response;
        await using (var grants = await HoldGrantLock())
        {
            response = await Bind(bindingId);

            // The step is really running late: it created the role and waits for the lock.
            await Until(() => RoleExists(bindingId), exists => exists, "the step to create the binding's role");
        }

        var error = await response.AssertOsbError(HttpStatusCode.InternalServerError, null);
        Assert.Contains("did not complete within", (string?)error["description"]);
        await AssertEndsFailedWithoutLogin(bindingId);
        var stream = (await instance.Environment.Stream(ServiceBinding.StreamId(bindingId))).Select(e => e.Data).ToList();
        Assert.True(stream is [ServiceBindingRequested, ServiceBindingFailed], string.Join(", ", stream.Select(e => e.GetType().Name)));
    }

    /// <summary>
    /// The step fails after it created the role (its grants on the schema <c>public</c> fail: the schema is renamed away
    /// meanwhile): the answer is 500, and the role is dropped. Before the fix: 422, with the role left on the server.
    /// </summary>
    [Fact]
    public async Task SyncBind_StepFailsAfterCreatingTheRole_Answers500_AndTheRoleIsDropped()
    {
        var bindingId = Guid.NewGuid();
        HttpResponseMessage response;
        await using (var connection = new NpgsqlConnection(await instance.AdminConnectionString()))
        {
            await connection.OpenAsync();
            await using (var away = new NpgsqlCommand("ALTER SCHEMA public RENAME TO public_away", connection)) await away.ExecuteNonQueryAsync();
            try
            {
                response = await Bind(bindingId);
            }
            finally
            {
                await using var back = new NpgsqlCommand("ALTER SCHEMA public_away RENAME TO public", connection);
                await back.ExecuteNonQueryAsync();
            }
        }

        var error = await response.AssertOsbError(HttpStatusCode.InternalServerError, null);
        Assert.Contains("schema \"public\"", (string?)error["description"]);
        await AssertEndsFailedWithoutLogin(bindingId);
    }

    [Fact]
    public async Task ConcurrentIdenticalSyncBinds_StepOutlastsTheWait_AllAnswer500_AndNoBindingNorLoginRemains()
    {
        var bindingId = Guid.NewGuid();
        (HttpStatusCode Status, string Body)[] answers;
        await using (var grants = await HoldGrantLock())
        {
            answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
            {
                using var response = await Bind(bindingId);
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }));
            await Until(() => RoleExists(bindingId), exists => exists, "the step to create the binding's role");
        }

        Assert.True(answers.All(a => a.Status == HttpStatusCode.InternalServerError),
            string.Join("; ", answers.Select(a => $"{(int)a.Status} {a.Body}")));
        await AssertEndsFailedWithoutLogin(bindingId);
        var stream = (await instance.Environment.Stream(ServiceBinding.StreamId(bindingId))).Select(e => e.Data).ToList();
        Assert.DoesNotContain(stream, e => e is ServiceBindingCreated);
    }

    [Fact]
    public async Task ConcurrentIdenticalSyncBinds_StepEndsInTime_AllSucceed_WithTheSameLogin()
    {
        var bindingId = Guid.NewGuid();

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
        {
            using var response = await Bind(bindingId);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.True(answers.All(a => a.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK),
            string.Join("; ", answers.Select(a => $"{(int)a.StatusCode} {a.Body}")));
        var passwords = answers.Select(a => (string?)JsonNode.Parse(a.Body)!["credentials"]!["password"]).Distinct().ToList();
        Assert.Single(passwords);
        var credentials = JsonNode.Parse(answers[0].Body)!["credentials"]!.AsObject();
        Assert.Equal(1, await Query(credentials, "SELECT 1"));
        await AssertLastOperation(bindingId, "succeeded");
    }

    /// <summary>
    /// The platform binds the same id again while the given-up step still hangs: the late step drops its login before the
    /// new request's step runs, so the new binding's login survives (without the turn it dropped the new login).
    /// </summary>
    [Fact]
    public async Task SyncBindGivenUp_BoundAgainWhileTheLateStepHangs_TheNewBindingsLoginWorks()
    {
        var bindingId = Guid.NewGuid();
        string operation;
        await using (var grants = await HoldGrantLock())
        {
            await (await Bind(bindingId)).AssertOsbError(HttpStatusCode.InternalServerError, null);
            await Until(() => RoleExists(bindingId), exists => exists, "the step to create the binding's role");

            operation = await (await Client.PutAsJsonAsync($"{BindingPath(bindingId)}?accepts_incomplete=true", BindBody)).AcceptedOperation();
            // The new request's step is under way before the late one may go on: it waits for its turn on the binding
            // (a lock in the broker's database), or — were there no turns — for the grant lock beside the late step.
            await Until(SecondStepWaits, waits => waits, "the second bind's step to start");
        }

        var body = await Until(async () =>
                await (await Client.GetAsync($"{BindingPath(bindingId)}/last_operation?operation={operation}")).AssertStatus(HttpStatusCode.OK),
            b => (string?)b["state"] != "in progress", "the second bind to end", seconds: 60);
        Assert.True((string?)body["state"] == "succeeded", body.ToJsonString());
        var credentials = (await (await Client.GetAsync(BindingPath(bindingId))).AssertStatus(HttpStatusCode.OK))["credentials"]!.AsObject();
        Assert.Equal(1, await Query(credentials, "SELECT 1"));
    }

    /// <summary>What the 500 said stays true: the binding is failed, cannot be fetched, and its role is gone from the server.</summary>
    private async Task AssertEndsFailedWithoutLogin(Guid bindingId)
    {
        await Until(() => RoleExists(bindingId), exists => !exists, "the step to drop the role the binding does not hold", seconds: 60);
        await AssertLastOperation(bindingId, "failed");
        await (await Client.GetAsync(BindingPath(bindingId))).AssertOsbError(HttpStatusCode.NotFound, "NotFound");
        var binding = ServiceBinding.Fold((await instance.Environment.Stream(ServiceBinding.StreamId(bindingId)))
            .Select(e => (EventSourced.Commands.EventStore.IDomainEvent)e.Data))!;
        Assert.Equal(BindingStatus.Failed, binding.Status);
        Assert.False(await RoleExists(bindingId), "a role appeared again after it was dropped");
    }

    private async Task AssertLastOperation(Guid bindingId, string state)
    {
        var body = await (await Client.GetAsync($"{BindingPath(bindingId)}/last_operation")).AssertStatus(HttpStatusCode.OK);
        Assert.True(state == (string?)body["state"], body.ToJsonString());
    }

    private async Task<NpgsqlConnection> HoldGrantLock()
    {
        var connection = new NpgsqlConnection(await instance.AdminConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({GrantLock})", connection);
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    private async Task<bool> SecondStepWaits()
    {
        await using var turns = instance.Environment.Database.DataSource.CreateCommand(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 1112100420 AND objsubid = 2 "
            + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
        if ((long)(await turns.ExecuteScalarAsync())! > 0) return true;
        await using var connection = new NpgsqlConnection(await instance.AdminConnectionString());
        await connection.OpenAsync();
        await using var grants = new NpgsqlCommand(
            $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = {GrantLock} AND objsubid = 1", connection);
        return (long)(await grants.ExecuteScalarAsync())! >= 2;
    }

    private async Task<bool> RoleExists(Guid bindingId)
    {
        await using var connection = new NpgsqlConnection(await instance.AdminConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = BindingSubProvisioner.UsernameOf(bindingId) });
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {seconds}s waiting for {what}; last seen: {value}");
            await Task.Delay(100);
        }
    }

    private string BindingPath(Guid bindingId) => $"/v2/service_instances/{instance.InstanceId}/service_bindings/{bindingId}";

    private static readonly object BindBody = new
    {
        service_id = ServiceId, plan_id = SmallPlanId, app_guid = "app-guid", bind_resource = new { app_guid = "app-guid" },
    };

    private Task<HttpResponseMessage> Bind(Guid bindingId) => Client.PutAsJsonAsync(BindingPath(bindingId), BindBody);

    private static async Task<object?> Query(JsonObject credentials, string sql)
    {
        await using var connection = new NpgsqlConnection(
            $"Host={credentials["host"]};Port={credentials["port"]};Database={credentials["database"]};" +
            $"Username={credentials["username"]};Password={credentials["password"]};Pooling=false;Timeout=5");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>A broker whose synchronous bind waits <see cref="SynchronousWait"/>, and one instance provisioned on it.</summary>
    public sealed class Instance : IAsyncLifetime
    {
        public BrokerEnvironment Environment { get; private set; } = null!;
        public BrokerProcess Broker { get; private set; } = null!;
        public Guid InstanceId { get; } = Guid.NewGuid();

        public async Task InitializeAsync()
        {
            Environment = await BrokerEnvironment.Create(new Dictionary<string, string>
            {
                ["Broker__SynchronousBindTimeout"] = SynchronousWait.ToString(),
            });
            Broker = await BrokerProcess.Start(Environment);
            await (await Broker.Client.Provision(InstanceId)).AcceptedOperation();
            var done = await Broker.Client.PollUntilDone(InstanceId);
            Assert.True(done.State == "succeeded", $"{done}\n{Broker.Output}");
        }

        public async Task DisposeAsync()
        {
            await Broker.DisposeAsync();
            await Environment.DisposeAsync();
        }

        public Task<string> AdminConnectionString() => Environment.AdminConnectionString(InstanceId);
    }
}
