using EventSourced.Provisioners.Reconciler;
using EventSourced.Provisioners.Resurrector;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backends.Local;

public static class LocalBackendServiceCollectionExtensions
{
    public static IServiceCollection AddLocalBackend(this IServiceCollection services, IConfiguration configuration)
    {
        var ephemeral = EphemeralPorts.OfThisMachine();
        services.AddOptions<LocalBackendOptions>()
            .Bind(configuration.GetSection(LocalBackendOptions.SectionName))
            .Validate(options => !string.IsNullOrWhiteSpace(options.DataRoot),
                $"{LocalBackendOptions.SectionName}:DataRoot is required: the directory that holds the dedicated servers' data")
            .Validate(options => Path.IsPathRooted(options.DataRoot) || string.IsNullOrWhiteSpace(options.DataRoot),
                $"{LocalBackendOptions.SectionName}:DataRoot must be an absolute path")
            .Validate(options => options.PortRangeStart is > 0 and <= 65535 && options.PortRangeEnd is > 0 and <= 65535
                                 && options.PortRangeStart <= options.PortRangeEnd,
                $"{LocalBackendOptions.SectionName}:PortRangeStart..PortRangeEnd must be a non-empty range of ports")
            .Validate(options => ephemeral is null || ephemeral.CountIn(options.PortRangeStart, options.PortRangeEnd) == 0,
                $"{LocalBackendOptions.SectionName}:PortRangeStart..PortRangeEnd overlaps the ports the kernel gives outgoing " +
                $"connections ({ephemeral}, net.ipv4.ip_local_port_range): a client socket could take a server's port while " +
                "the server restarts. Choose a range outside it, or reserve the range (sysctl net.ipv4.ip_local_reserved_ports)")
            .Validate(options => File.Exists(Path.Combine(options.PostgresBinDirectory, "pg_ctl")),
                $"{LocalBackendOptions.SectionName}:PostgresBinDirectory must contain pg_ctl (no /usr/lib/postgresql/*/bin found)")
            .Validate(options => options.RedisLoginExpiryInterval >= TimeSpan.FromMilliseconds(100),
                $"{LocalBackendOptions.SectionName}:RedisLoginExpiryInterval must be at least 00:00:00.1")
            .Validate(options => options.StartTimeout >= TimeSpan.FromSeconds(1),
                $"{LocalBackendOptions.SectionName}:StartTimeout must be at least one second")
            .ValidateOnStart();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        // Every implementation by the name provisioner stanzas pick it by; unkeyed, PostgreSQL's (hosts without stanzas).
        services.AddNamedImplementations(typeof(LocalServerBackend));
        services.AddSingleton<IStorageBackend>(sp => sp.GetRequiredService<LocalStorageBackend>());
        services.AddSingleton<IServerBackend>(sp => sp.GetRequiredService<LocalServerBackend>());
        services.AddSingleton<IDatabaseBackend>(sp => sp.GetRequiredService<LocalDatabaseBackend>());
        services.TryAddSingleton<ProvisionerBackends>();
        services.AddHostedService<DataRootClaim>();
        services.AddHostedService<Redis.RedisLoginExpiry>();
        // Both compare the servers with the log: they need the event store and read models of a broker node.
        services.AddServerResurrector(configuration);
        services.AddDriftReconciler(configuration);
        // Its settings (Provisioners:Deployments) are bound by the broker on every node: the API nodes show the deadlines.
        services.AddHostedService<Deployments.VmOrphanSweeper>();
        return services;
    }
}
