using EventSourced.Broker.Cli;
using EventSourced.Broker.Hosting;

if (OperatorCommands.Handles(args)) return await OperatorCommands.Run(args);

var app = WebApplication.CreateBuilder(args).AddBroker().Build();
app.MapBroker();
await app.RunAsync();
return 0;

public partial class Program;
