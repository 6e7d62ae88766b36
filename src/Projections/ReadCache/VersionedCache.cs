namespace EventSourced.Projections.ReadCache;

/// <summary>
/// A bounded map of rows by id, each stamped with the stream version it reflects, that never goes back to an older
/// version: a row replaces a cached one only when it is of the same or a newer version, and a change notified for a
/// newer version turns the cached row into a marker (its version, no row) that answers nothing until a row of that
/// version or newer is put.
/// </summary>
/// <remarks>
/// A row read before an id's older entry was dropped (evicted, cleared) must not be put back over what happened since:
/// whoever puts a row into an absent slot takes a <see cref="Ticket"/> before reading it, and the row is only put when
/// nothing was dropped, cleared or notified-while-absent since (<see cref="Put"/>). Every such event moves the ticket
/// on; a row put late is then simply not cached, never wrong.
/// </remarks>
public sealed class VersionedCache<TRow>(int capacity) where TRow : class
{
    private sealed record Entry(Guid Id, long Version, TRow? Row);

    private readonly Lock gate = new();
    private readonly Dictionary<Guid, LinkedListNode<Entry>> entries = new();
    private readonly LinkedList<Entry> recency = new();
    private long ticket;

    public int Count { get { lock (gate) return entries.Count; } }

    /// <summary>Taken before reading a row that may be <see cref="Put"/> into an absent slot.</summary>
    public long Ticket { get { lock (gate) return ticket; } }

    /// <summary>The cached row of <paramref name="id"/> (false: none, or a marker of a newer version not read yet).</summary>
    public bool TryGet(Guid id, out TRow row, out long version)
    {
        lock (gate)
        {
            if (entries.TryGetValue(id, out var node) && node.Value.Row is { } found)
            {
                recency.Remove(node);
                recency.AddFirst(node);
                (row, version) = (found, node.Value.Version);
                return true;
            }
        }
        (row, version) = (null!, 0);
        return false;
    }

    /// <summary>
    /// Puts the row of <paramref name="id"/> at <paramref name="version"/>: over a cached entry of the same or an older
    /// version; into an absent slot only while <paramref name="ticketTaken"/> is still the current ticket. True if put.
    /// </summary>
    public bool Put(Guid id, long version, TRow row, long ticketTaken)
    {
        lock (gate)
        {
            if (entries.TryGetValue(id, out var node))
            {
                if (version < node.Value.Version) return false;
                node.Value = new Entry(id, version, row);
                recency.Remove(node);
                recency.AddFirst(node);
                return true;
            }
            if (ticketTaken != ticket) return false;
            entries[id] = recency.AddFirst(new Entry(id, version, row));
            while (entries.Count > capacity)
            {
                entries.Remove(recency.Last!.Value.Id);
                recency.RemoveLast();
                ticket++;
            }
            return true;
        }
    }

    /// <summary>Another writer committed <paramref name="version"/> of <paramref name="id"/>: an older cached row answers no more.</summary>
    public void Changed(Guid id, long version)
    {
        lock (gate)
        {
            if (!entries.TryGetValue(id, out var node)) ticket++;
            else if (version > node.Value.Version) node.Value = new Entry(id, version, null);
        }
    }

    /// <summary>Forgets everything (changes may have been missed): rows read before are not put afterwards.</summary>
    public void Clear()
    {
        lock (gate)
        {
            entries.Clear();
            recency.Clear();
            ticket++;
        }
    }
}
