using System.CommandLine;
using EventSourced.Commands;
using EventSourced.Commands.EventStore;
using EventSourced.Projections;
using EventSourced.Provisioners;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.DeadLetters;

namespace EventSourced.Broker.Cli;

/// <summary>
/// The operator's commands (`projections …`, `db …`, `dead-letters …`), run beside a serving broker with the same configuration
/// (appsettings.json, environment): <c>dotnet run --project src/Broker -- projections list</c>; and the ops API's clients
/// (`provision`, `deprovision`, `export`, `import`, `cloud-config`, `upgrade-all`, `backups`), which talk to a broker over HTTP only.
/// </summary>
public static class OperatorCommands
{
    public static bool Handles(string[] args) =>
        args is ["projections" or "db" or "dead-letters" or "provision" or "deprovision" or "export" or "import" or "cloud-config" or "upgrade-all"
            or "recreate-all" or "backups", ..];

    public static async Task<int> Run(string[] args)
    {
        var root = new RootCommand("On-demand PostgreSQL service broker") 
        {
            ProjectionsCommand.Create(), DbCommand.Create(), DeadLettersCommand.Create(), JobCommands.Provision(), JobCommands.Deprovision(), CloudConfigCommands.Create(),
            SnapshotCommands.Export(), SnapshotCommands.Import(),
            BackupCommands.Backups(),
            FleetCommands.UpgradeAll(), FleetCommands.RecreateAll(),
        };
        return await root.Parse(args).InvokeAsync();
    }

    /// <summary>The event store, read models and their tools, without the web host, the bus or the daemon.</summary>
    public static async Task<int> WithServices(Func<IServiceProvider, Task<int>> action)
    {
        var builder = Host.CreateApplicationBuilder();
        // A filter, not SetMinimumLevel: the Logging:LogLevel:Default of appsettings.json would override a minimum level.
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.Services.AddEventStore(builder.Configuration);
        builder.Services.AddCommands(builder.Configuration).AddReadModels().AddSagaDocuments().AddSimulatedTables(builder.Configuration);
        DeadLetterQueues.AddTo(builder.Services, builder.Configuration);
        using var host = builder.Build();
        return await action(host.Services);
    }
}
