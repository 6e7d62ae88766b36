using EventSourced.Broker.Cli;
using EventSourced.Broker.Hosting;

if (ProjectionsCommand.Handles(args)) return await ProjectionsCommand.Run(args);

var app = WebApplication.CreateBuilder(args).AddBroker().Build();
app.MapBroker();
await app.RunAsync();
return 0;

public partial class Program;
