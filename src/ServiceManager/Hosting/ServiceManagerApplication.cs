using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.ServiceManager.Brokers;
using EventSourced.ServiceManager.Instances;
using EventSourced.ServiceManager.Osb;
using EventSourced.ServiceManager.Platforms;
using EventSourced.ServiceManager.Resources;
using EventSourced.ServiceManager.Visibilities;
using Marten;
using Microsoft.Extensions.Options;

namespace EventSourced.ServiceManager.Hosting;

public static class ServiceManagerApplication
{
    public static WebApplicationBuilder AddServiceManager(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var settings = configuration.GetSection(ServiceManagerOptions.Section).Get<ServiceManagerOptions>() ?? new ServiceManagerOptions();
        if (string.IsNullOrEmpty(settings.Username) || string.IsNullOrEmpty(settings.Password) || settings.Username.Contains(':'))
            throw new InvalidOperationException(
                "ServiceManager:Username and ServiceManager:Password are required (env ServiceManager__Username / ServiceManager__Password; no ':' in the user name).");
        var services = builder.Services;
        services.AddOptions<ServiceManagerOptions>().Bind(configuration.GetSection(ServiceManagerOptions.Section));
        services.AddEventStore(configuration);
        // The manager's own schema and its creation, whatever EventStore:Schema / EventStore:AutoCreate say (./run exports
        // the broker's settings to both).
        services.PostConfigure<EventStoreOptions>(o =>
        {
            o.Schema = settings.Schema;
            o.AutoCreate = settings.AutoCreate;
        });
        services.ConfigureMarten(options =>
        {
            foreach (var type in typeof(ServiceManagerApplication).Assembly.GetTypes()
                         .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IDomainEvent).IsAssignableFrom(t)))
                options.Events.MapEventType(type, type.Name);
            options.Schema.For<ResourceView>().DocumentAlias("resource").Index(v => v.Type);
        });
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => new SecretProtector(configuration["Secrets:Key"]
            ?? throw new InvalidOperationException("Secrets:Key is not configured (env Secrets__Key): 32 random bytes, base64; it encrypts the brokers' passwords.")));
        services.AddSingleton<ManagerStreams>();
        services.AddSingleton<PlatformCredentials>();
        services.AddSingleton<BrokerClient>();
        services.AddSingleton<InstanceRecorder>();
        services.AddSingleton<AsyncOperations>();
        services.AddHttpClient("brokers").ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddHostedService<OperationPoller>();
        return builder;
    }

    public static WebApplication MapServiceManager(this WebApplication app)
    {
        app.UseMiddleware<Authentication>();
        app.MapGet("/health", () => Results.Ok(new { status = "up" })).AllowAnonymous();
        var v1 = app.MapGroup("/v1");
        v1.MapBrokers().MapPlatforms().MapVisibilities().MapInstances();
        app.MapGroup("/v1/osb/{brokerId}/v2").MapOsbProxy();
        return app;
    }
}
