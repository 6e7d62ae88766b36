using System.Text.RegularExpressions;
using EventSourced.Commands.Clusters;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Admin;

/// <summary>
/// What one event did, in a sentence for people (the dashboard's timeline): for an event of an operation, the
/// description the operation took from it (the words <c>last_operation</c> answers with, so there is one wording); for the
/// others, a sentence of its own. Nothing secret: no parameters, no credentials.
/// </summary>
public static partial class HistoryDescriptions
{
    public static string Of(IDomainEvent @event, ServiceInstance before, ServiceInstance after) => @event switch
    {
        ServiceInstanceContextUpdated => "Platform context updated",
        ChildInstanceAttached e => $"Database {e.ChildId} created in this cluster (org {e.OrganizationGuid}, space {e.SpaceGuid})",
        ChildInstanceDetached e => $"Database {e.ChildId} left this cluster",
        BackupScheduleSet e => $"Backups scheduled: {e.Schedule} (UTC), the newest {e.Retain} kept",
        BackupScheduleCleared => "Scheduled backups switched off (existing backups kept)",
        BackupRemoved e => $"Backup {e.BackupId} removed by retention",
        ServerResurrected e => $"Server started again on port {e.Port} by the resurrector: {e.Reason}",
        OrphanedResourceFound e => $"{e.Resource} left by an abandoned step found; it will be removed",
        OrphanedResourceRemoved { Kept: true } e => $"{e.Resource} left by an abandoned step kept: the instance uses it",
        OrphanedResourceRemoved e => $"{e.Resource} left by an abandoned step removed",
        ReplicaAdded e => $"Replica {e.Index} streams from the primary on {e.Host}:{e.Port}{(e.WorkerHost is { } host ? $" (host {host})" : "")}",
        ReplicaRemoved e => $"Replica {e.Index} stopped and removed",
        ReplicaResurrected e => $"Replica {e.Index} started again on port {e.Port} by the resurrector: {e.Reason}",
        VmOrphaned e => $"VM {e.Vm} orphaned by the deploy; its host's sweeper deletes it after the grace period",
        VmDeleted e => $"Orphaned VM {e.Vm} deleted",
        _ => ChangedOperation(before, after)?.Description ?? Words(@event.GetType().Name),
    };

    /// <summary>The operation the event started or moved on, if any.</summary>
    private static Operation? ChangedOperation(ServiceInstance before, ServiceInstance after)
    {
        for (var i = 0; i < after.Operations.Count; i++)
            if (i >= before.Operations.Count || before.Operations[i] != after.Operations[i]) return after.Operations[i];
        return null;
    }

    /// <summary><c>ClusterChildAttached</c> → "Cluster child attached".</summary>
    private static string Words(string typeName)
    {
        var words = CapitalisedWord().Replace(typeName, " $1").Trim().ToLowerInvariant();
        return words.Length == 0 ? typeName : char.ToUpperInvariant(words[0]) + words[1..];
    }

    [GeneratedRegex("(?<=[a-z0-9])([A-Z])")]
    private static partial Regex CapitalisedWord();
}
