using JasperFx;
using Marten;
using MassTransit;
using Weasel.Storage;

namespace EventSourced.Provisioners.Sagas.Persistence;

/// <summary>
/// How saga state is stored in Marten: one document per saga, keyed by <see cref="ISaga.CorrelationId" />, with
/// Marten's numeric revision (<c>mt_version</c>) mapped onto <see cref="ISagaVersion.Version" />. The staging methods
/// are the only writes the saga repository makes; each fails at <c>SaveChangesAsync</c> instead of losing a write.
/// </summary>
public static class SagaDocuments
{
    /// <summary>Maps <typeparamref name="TSaga" /> for a store built by hand; <c>MartenRepository()</c> does it for <c>AddMarten</c>.</summary>
    public static void Register<TSaga>(StoreOptions options)
        where TSaga : class, ISagaVersion =>
        options.Schema.For<TSaga>()
            .Identity(x => x.CorrelationId)
            .UseNumericRevisions(true)
            .Metadata(m => m.Revision.MapTo(x => x.Version));

    /// <summary>A new saga: if a saga with the same id commits first, this commit fails with <see cref="DocumentAlreadyExistsException" />.</summary>
    public static void StageInsert<TSaga>(IDocumentSession session, TSaga saga)
        where TSaga : class, ISagaVersion
    {
        saga.Version = 1;
        session.Insert(saga);
    }

    /// <summary>
    /// The saga as loaded at <see cref="ISagaVersion.Version" />, written at the next revision: the commit fails with
    /// <see cref="ConcurrencyException" /> if another writer changed or deleted the saga since.
    /// </summary>
    /// <remarks>
    /// Marten has no public call for this: <c>Update</c> requires the row but checks no revision, and
    /// <c>UpdateRevision</c> checks the revision but is an upsert, which would bring back a saga deleted meanwhile.
    /// Marten's update operation does both once it is given the new revision, as UpdateRevision does for its upsert.
    /// </remarks>
    public static void StageUpdate<TSaga>(IDocumentSession session, TSaga saga)
        where TSaga : class, ISagaVersion
    {
        saga.Version++;
        session.Update(saga);
        var update = session.PendingChanges.Operations().OfType<IRevisionedOperation>().LastOrDefault()
            ?? throw new InvalidOperationException($"{typeof(TSaga).Name} is not stored with numeric revisions: map it with SagaDocuments.Register");
        update.Revision = saga.Version;
    }

    /// <summary>Deletes the saga as loaded: a checked update ahead of the delete, in the same transaction, fails a stale delete.</summary>
    public static void StageDelete<TSaga>(IDocumentSession session, TSaga saga)
        where TSaga : class, ISagaVersion
    {
        StageUpdate(session, saga);
        var id = saga.CorrelationId;
        // DeleteWhere, unlike Delete(saga), leaves the update queued ahead of it.
        session.DeleteWhere<TSaga>(x => x.CorrelationId == id);
    }
}
