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

        Assert.Equal((30000, 30999, TimeSpan.FromSeconds(60)), (options.PortRangeStart, options.PortRangeEnd, options.StartTimeout));
        Assert.True(File.Exists(Path.Combine(options.PostgresBinDirectory, "pg_ctl")));
        Assert.Equal(Environment.IsPrivilegedProcess ? "postgres" : null, options.RunAsUser);
        Assert.IsType<LocalDatabaseBackend>(services.GetRequiredService<IDatabaseBackend>());
    }

    [Fact]
    public void AddLocalBackend_WithAPortRangeTheKernelGivesToClientSockets_FailsNamingTheSettingAndTheKernelRange()
    {
        var kernel = EphemeralPorts.OfThisMachine();
        Assert.NotNull(kernel);
        var inside = kernel.First + (kernel.Last - kernel.First) / 2;
        using var services = Services(new Dictionary<string, string?>
        {
            ["Provisioners:Local:DataRoot"] = "/tmp/instances",
            ["Provisioners:Local:PortRangeStart"] = (inside - 5).ToString(),
            ["Provisioners:Local:PortRangeEnd"] = (inside + 5).ToString(),
        });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IServerBackend>());

        Assert.Contains("Provisioners:Local:PortRangeStart..PortRangeEnd overlaps", error.Message);
        Assert.Contains($"{kernel.First}..{kernel.Last}", error.Message);
    }

    [Fact]
    public void EphemeralPorts_LessReservedOnes_CountOnlyWhatTheKernelMayHandOut()
    {
        var kernel = EphemeralPorts.Parse("32768\t60999\n", "8080,40000-40009,40020\n");

        Assert.Equal((32768, 60999), (kernel.First, kernel.Last));
        Assert.Equal(0, kernel.CountIn(40000, 40009));
        Assert.Equal(10, kernel.CountIn(40000, 40020));
        Assert.Equal(0, kernel.CountIn(30000, 30999));
        Assert.Equal(2, kernel.CountIn(60998, 61010));
        Assert.Throws<FormatException>(() => EphemeralPorts.Parse("32768", ""));
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddLocalBackend(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();
}
