using EventSourced.ServiceManager.Hosting;

var app = WebApplication.CreateBuilder(args).AddServiceManager().Build();
app.MapServiceManager();
await app.RunAsync();

public partial class Program;
