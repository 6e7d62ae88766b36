using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Tests.Backends;

public sealed class AddLocalBackendTests
{
    [Fact]
    public void AddLocalBackend_WithoutDataRoot_FailsWithAnErrorNamingTheSetting()
    {
        using var services = Services(new Dictionary<string, string?>());

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IServerBackend>());

        Assert.Contains("Provisioners:Local:DataRoot is required", error.Message);
    }

    [Fact]
    public void AddLocalBackend_WithDataRoot_AppliesTheDefaults()
    {
        using var services = Services(new Dictionary<string, string?> { ["Provisioners:Local:DataRoot"] = "/tmp/instances" });

        var options = services.GetRequiredService<IOptions<LocalBackendOptions>>().Value;

        Assert.Equal((56000, 56999, TimeSpan.FromSeconds(60)), (options.PortRangeStart, options.PortRangeEnd, options.StartTimeout));
        Assert.True(File.Exists(Path.Combine(options.PostgresBinDirectory, "pg_ctl")));
        Assert.Equal(Environment.IsPrivilegedProcess ? "postgres" : null, options.RunAsUser);
        Assert.IsType<LocalDatabaseBackend>(services.GetRequiredService<IDatabaseBackend>());
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddLocalBackend(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();
}
