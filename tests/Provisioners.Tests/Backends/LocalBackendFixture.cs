using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Tests.Backends;

/// <summary>
/// The local backend over a data root of its own (a short-named folder below the shared one, which the broker's
/// reconciler ignores because its name is no instance id); every instance a test creates is torn down on dispose.
/// Test classes that run in parallel each take a port range of their own through a subclass.
/// </summary>
public class LocalBackendFixture : IAsyncLifetime
{
    private readonly List<Guid> _instances = [];
    private readonly ServiceProvider _services;

    public LocalBackendFixture() : this(23900, 23999)
    {
    }

    /// <param name="below">Folders below the fixture's own data root (e.g. a long path, as users' checkouts have).</param>
    protected LocalBackendFixture(int portRangeStart, int portRangeEnd, string below = "")
    {
        OwnRoot = Path.Combine(TestSettings.LocalBackendDataRoot, $"t-{Guid.NewGuid().ToString("N")[..8]}");
        DataRoot = Path.Combine(OwnRoot, below);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Provisioners:Local:DataRoot"] = DataRoot,
            ["Provisioners:Local:PortRangeStart"] = portRangeStart.ToString(),
            ["Provisioners:Local:PortRangeEnd"] = portRangeEnd.ToString(),
        }).Build();
        _services = new ServiceCollection().AddLogging().AddLocalBackend(configuration).BuildServiceProvider();
    }

    public string DataRoot { get; }

    private string OwnRoot { get; }
    public IStorageBackend Storage => _services.GetRequiredService<IStorageBackend>();
    public IServerBackend Server => _services.GetRequiredService<IServerBackend>();
    public IDatabaseBackend Database => _services.GetRequiredService<IDatabaseBackend>();

    /// <summary>A fresh server backend object over the same data root: what a restarted broker would hold.</summary>
    public IServerBackend NewServerBackend() =>
        new LocalServerBackend(_services.GetRequiredService<IOptions<LocalBackendOptions>>(), NullLogger<LocalServerBackend>.Instance);

    public static IReadOnlyDictionary<string, string> NoSettings { get; } = new Dictionary<string, string>();

    public Guid NewInstance()
    {
        var id = Guid.NewGuid();
        lock (_instances) _instances.Add(id);
        return id;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Stops every instance's server even when stopping another one fails, so no postmaster outlives the tests.</summary>
    public async Task DisposeAsync()
    {
        var failures = new List<Exception>();
        try
        {
            foreach (var id in _instances)
            {
                try
                {
                    await Server.Deprovision(id, CancellationToken.None);
                    await Storage.Deprovision(id, CancellationToken.None);
                }
                catch (Exception e)
                {
                    failures.Add(e);
                }
            }
            if (failures.Count == 0 && Directory.Exists(OwnRoot)) Directory.Delete(OwnRoot, recursive: true);
        }
        finally
        {
            await _services.DisposeAsync();
        }
        if (failures.Count > 0) throw new AggregateException($"{failures.Count} instance(s) under {OwnRoot} were not torn down", failures);
    }
}
