using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Tests.Backends;

/// <summary>
/// The sweeper's deletion of an orphaned VM on the local backend (a VM is a slot file <c>vms/&lt;vm&gt;.json</c>; the disk is
/// attached to the VM <c>disk.json</c> names, else to the VM the instance was last started on): an orphan's slot goes, the
/// VM holding the disk never does, and a slot or instance folder already gone counts as deleted. Files only, no server.
/// </summary>
public sealed class LocalOrphanDeletionTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"orphans-{Guid.NewGuid():N}");
    private readonly LocalServerBackend _servers;

    public LocalOrphanDeletionTests() =>
        _servers = new LocalServerBackend(Options.Create(new LocalBackendOptions { DataRoot = _root }), NullLogger<LocalServerBackend>.Instance);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void TheDiskHoldersSlotIsKept_AnOrphansSlotIsDeleted_AndWhatIsGoneCountsAsDeleted()
    {
        var id = Guid.NewGuid();
        var (holder, orphan) = (Slot(id, "postgres/0#aaaaaaaa"), Slot(id, "postgres/0#bbbbbbbb"));
        File.WriteAllText(Path.Combine(_root, id.ToString(), "disk.json"), """{"vm": "postgres/0#aaaaaaaa"}""");

        Assert.False(LocalDeploymentBackend.DeleteOrphan(_servers, id, "postgres/0#aaaaaaaa", currentVm: "postgres/0#0"));
        Assert.True(File.Exists(holder));
        Assert.True(LocalDeploymentBackend.DeleteOrphan(_servers, id, "postgres/0#bbbbbbbb", currentVm: "postgres/0#0"));
        Assert.False(File.Exists(orphan));
        Assert.True(LocalDeploymentBackend.DeleteOrphan(_servers, id, "postgres/0#bbbbbbbb", currentVm: "postgres/0#0"));
        Assert.True(LocalDeploymentBackend.DeleteOrphan(_servers, Guid.NewGuid(), "postgres/0#0", currentVm: "postgres/0#0"));
    }

    [Fact]
    public void ADiskThatNeverMoved_IsHeldByTheVmTheInstanceWasLastStartedOn()
    {
        var id = Guid.NewGuid();
        var started = Slot(id, "postgres/0#cccccccc");

        Assert.False(LocalDeploymentBackend.DeleteOrphan(_servers, id, "postgres/0#cccccccc", currentVm: "postgres/0#cccccccc"));
        Assert.True(File.Exists(started));
        Assert.True(LocalDeploymentBackend.DeleteOrphan(_servers, id, "postgres/0#0", currentVm: "postgres/0#cccccccc"));
    }

    private string Slot(Guid id, string vm)
    {
        var file = Path.Combine(_root, id.ToString(), "vms", vm.Replace('/', '_').Replace('#', '-') + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "{}");
        return file;
    }
}
