using EventSourced.Broker.Hosting;
using EventSourced.Commands;
using EventSourced.Commands.EventStore;
using EventSourced.Projections;
using EventSourced.Provisioners;
using EventSourced.TestSupport;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit.Abstractions;

namespace EventSourced.Broker.Tests.Hosting;

/// <summary>
/// Two nodes starting at once against a fresh database both apply the schema (AutoCreate CreateOrUpdate): without a lock
/// across processes both ran the same CREATEs and one failed on "already exists".
/// </summary>
public sealed class ConcurrentSchemaApplyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TwoHostsApplyingTheSchemaAtOnce_OnAFreshDatabase_BothSucceed_AndTheSchemaIsComplete()
    {
        for (var round = 1; round <= 3; round++)
        {
            await using var database = await PostgresDatabase.Create();
            using var first = Host(database);
            using var second = Host(database);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

            var applies = new[] { first, second }.Select(host => Task.Run(async () =>
            {
                await gate.Task;
                await SchemaApplier.Apply(host.Services.GetRequiredService<IDocumentStore>(),
                    host.Services.GetRequiredService<NpgsqlDataSource>(), timeout.Token);
            })).ToArray();
            gate.SetResult();
            var outcomes = await Task.WhenAll(applies.Select(async apply =>
            {
                try
                {
                    await apply;
                    return null;
                }
                catch (Exception e)
                {
                    return e;
                }
            }));

            Assert.True(outcomes.All(e => e is null), $"round {round}: {string.Join("\n", outcomes.OfType<Exception>().Select(e => e.Message))}");
            // Complete: what a production broker (AutoCreate None) checks at start finds no difference.
            await first.Services.GetRequiredService<IDocumentStore>().Storage.Database.AssertDatabaseMatchesConfigurationAsync(timeout.Token);
            output.WriteLine($"round {round}: both applied");
            NpgsqlConnection.ClearAllPools();
        }
    }

    /// <summary>A node's services as the broker composes its event store, read models and saga documents.</summary>
    private static IHost Host(PostgresDatabase database)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["EventStore:AutoCreate"] = "CreateOrUpdate",
        });
        builder.Services.AddEventStore(builder.Configuration);
        builder.Services.AddCommands(builder.Configuration).AddReadModels().AddSagaDocuments();
        return builder.Build();
    }
}
