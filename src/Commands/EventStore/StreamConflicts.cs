using JasperFx;
using Marten;
using Marten.Exceptions;

namespace EventSourced.Commands.EventStore;

/// <summary>The one place that knows which of Marten's exceptions mean "another writer got to the stream first".</summary>
public static class StreamConflicts
{
    /// <summary>
    /// Commits a session that appended to <paramref name="streamKey"/> at <paramref name="expectedVersion"/>. False when
    /// its inbox entry already existed (the message was handled before: nothing was committed).
    /// </summary>
    /// <exception cref="WrongExpectedVersionException">
    /// The expected version did not hold (Marten's <see cref="ConcurrencyException"/> and its subclass
    /// EventStreamUnexpectedMaxEventIdException), or the stream was started twice
    /// (<see cref="ExistingStreamIdCollisionException"/>). Nothing was committed.
    /// </exception>
    public static async Task<bool> Commit(IDocumentSession session, string streamKey, long expectedVersion, CancellationToken ct)
    {
        try
        {
            await session.SaveChangesAsync(ct);
            return true;
        }
        catch (DocumentAlreadyExistsException e) when (e.DocumentType == typeof(InboxEntry))
        {
            return false;
        }
        catch (Exception e) when (e is ConcurrencyException or ExistingStreamIdCollisionException)
        {
            throw new WrongExpectedVersionException(streamKey, expectedVersion, e);
        }
        catch (Exception e) when (EventStoreFailureException.Translates(e))
        {
            throw EventStoreFailureException.From(e);
        }
    }
}
