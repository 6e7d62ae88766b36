using System.Reflection;
using EventSourced.Broker.Health;
using EventSourced.Broker.Hosting;
using EventSourced.Broker.Ops;
using EventSourced.Broker.Telemetry;
using EventSourced.Commands.EventStore;
using EventSourced.Projections.ReadCache;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.Backends.Simulated;
using EventSourced.Provisioners.Bus;
using EventSourced.Provisioners.Reconciler;
using EventSourced.Provisioners.Resurrector;
using EventSourced.Provisioners.Snapshots;
using EventSourced.Provisioners.Watchdog;

namespace EventSourced.Broker.Tests.Deployment;

/// <summary>
/// Whether a setting a deployment file gives the broker (environment variable spelling, <c>__</c> for <c>:</c>) is one it
/// reads: a property of an options class under its section (read from the classes, so a renamed option breaks the
/// manifests' test), one of the few settings read by name, or a family the platform owns (Logging, OTEL_*, ASPNETCORE_*).
/// </summary>
public static class BrokerSettingNames
{
    private static readonly (string Section, Type Options)[] Sections =
    [
        (BrokerOptions.Section, typeof(BrokerOptions)),
        (OpsOptions.Section, typeof(OpsOptions)),
        (BrokerHealthOptions.Section, typeof(BrokerHealthOptions)),
        (EventStoreOptions.Section, typeof(EventStoreOptions)),
        (ReadCacheOptions.Section, typeof(ReadCacheOptions)),
        (RabbitMqOptions.Section, typeof(RabbitMqOptions)),
        (OperationWatchdogOptions.Section, typeof(OperationWatchdogOptions)),
        (LocalBackendOptions.SectionName, typeof(LocalBackendOptions)),
        (SimulatedBackendOptions.SectionName, typeof(SimulatedBackendOptions)),
        (ResurrectorOptions.Section, typeof(ResurrectorOptions)),
        (ReconcilerOptions.Section, typeof(ReconcilerOptions)),
        (SnapshotOptions.Section, typeof(SnapshotOptions)),
    ];

    private static readonly string[] ReadByName =
    [
        "ConnectionStrings:Postgres", "Secrets:Key", "Urls", BrokerRoles.Setting, BrokerRoles.DeprecatedProvisionersEnabledSetting,
        BackendServiceCollectionExtensions.BackendSetting, BrokerTelemetry.EnabledSetting,
    ];

    private static readonly string[] PlatformPrefixes = ["Logging:", "OTEL_", "ASPNETCORE_", "DOTNET_", "Catalog:"];

    /// <summary>Null when the broker reads <paramref name="environmentName"/>, else why not.</summary>
    public static string? Problem(string environmentName)
    {
        var key = environmentName.Replace("__", ":");
        if (ReadByName.Contains(key, StringComparer.OrdinalIgnoreCase)) return null;
        if (PlatformPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))) return null;
        var (name, options) = Sections.Where(s => key.StartsWith(s.Section + ":", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(s => s.Section.Length).FirstOrDefault();
        if (name is null) return $"{environmentName}: no section of the broker's options starts it";
        var property = key[(name.Length + 1)..];
        return options.GetProperty(property, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { CanWrite: true }
            ? null
            : $"{environmentName}: {options.Name} ({name}) has no settable property {property}";
    }
}
