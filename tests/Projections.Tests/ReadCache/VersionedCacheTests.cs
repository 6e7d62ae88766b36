using EventSourced.Projections.ReadCache;

namespace EventSourced.Projections.Tests.ReadCache;

/// <summary>The read cache's rules on its own: never back to an older version, bounded, and nothing put over what it missed.</summary>
public sealed class VersionedCacheTests
{
    private readonly Guid id = Guid.NewGuid();
    private readonly VersionedCache<string> cache = new(capacity: 2);

    [Fact]
    public void Put_OlderThanCached_IsRefused()
    {
        cache.Put(id, 5, "v5", cache.Ticket);

        Assert.False(cache.Put(id, 4, "v4", cache.Ticket));
        Assert.True(cache.TryGet(id, out var row, out var version));
        Assert.Equal(("v5", 5L), (row, version));
    }

    [Fact]
    public void Changed_ToANewerVersion_AnswersNothingUntilThatVersionIsPut()
    {
        var ticket = cache.Ticket;
        cache.Put(id, 5, "v5", ticket);

        cache.Changed(id, 6);

        Assert.False(cache.TryGet(id, out _, out _));
        Assert.False(cache.Put(id, 5, "v5 read late", ticket));
        Assert.True(cache.Put(id, 6, "v6", cache.Ticket));
        Assert.True(cache.TryGet(id, out var row, out _));
        Assert.Equal("v6", row);
    }

    [Fact]
    public void Changed_ToTheCachedVersion_KeepsTheRow()
    {
        cache.Put(id, 5, "v5", cache.Ticket);

        cache.Changed(id, 5);

        Assert.True(cache.TryGet(id, out _, out _));
    }

    [Fact]
    public void Put_IntoAnAbsentSlot_AfterAChangeWhileAbsent_IsRefused()
    {
        var ticket = cache.Ticket;

        cache.Changed(id, 6);

        Assert.False(cache.Put(id, 5, "v5 read before the change", ticket));
        Assert.False(cache.TryGet(id, out _, out _));
    }

    [Fact]
    public void Put_AfterTheEntryWasEvicted_WithATicketFromBefore_IsRefused()
    {
        var ticket = cache.Ticket;
        cache.Put(id, 5, "v5", ticket);
        cache.Put(Guid.NewGuid(), 1, "other", cache.Ticket);
        cache.Put(Guid.NewGuid(), 1, "another", cache.Ticket);

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet(id, out _, out _));
        Assert.False(cache.Put(id, 4, "v4 committed before v5, put late", ticket));
    }

    [Fact]
    public void Clear_ForgetsEverything_AndRefusesRowsReadBefore()
    {
        var ticket = cache.Ticket;
        cache.Put(id, 5, "v5", ticket);

        cache.Clear();

        Assert.False(cache.TryGet(id, out _, out _));
        Assert.False(cache.Put(id, 5, "v5", ticket));
        Assert.True(cache.Put(id, 5, "v5", cache.Ticket));
    }

    [Fact]
    public void TryGet_KeepsTheRecentlyReadEntry_WhenTheCapacityIsReached()
    {
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        cache.Put(first, 1, "first", cache.Ticket);
        cache.Put(second, 1, "second", cache.Ticket);

        Assert.True(cache.TryGet(first, out _, out _));
        cache.Put(id, 1, "third", cache.Ticket);

        Assert.True(cache.TryGet(first, out _, out _));
        Assert.False(cache.TryGet(second, out _, out _));
    }
}
