using System.CommandLine;

namespace EventSourced.Broker.Cli;

/// <summary>
/// <c>export [--destination] &lt;instance-id&gt;</c> and <c>import [--cluster-id] [--snapshot-id] [--owner-type] &lt;owner-id&gt;
/// &lt;instance-id&gt; &lt;snapshot&gt; [&lt;guest-location&gt;]</c>, as DreamFactory's <c>dfe:export</c> / <c>dfe:import</c>: jobs of the
/// ops API followed like <c>provision</c>'s, with the same exit codes. An export tells the id of the snapshot it made.
/// </summary>
public static class SnapshotCommands
{
    public static Command Export()
    {
        var instance = new Argument<string>("instance-id") { Description = "The instance whose data to snapshot (a GUID)." };
        var destination = new Option<string?>("--destination") { Description = "A folder (one plain name) under the broker's snapshots root." };
        var days = new Option<int?>("--days-to-keep") { Description = "How many days the snapshot is kept (default: the broker's Snapshots:DaysToKeep)." };
        var command = new Command("export", "Export a snapshot of an instance's data through the ops API and follow the job.")
            { instance, destination, days, JobCommands.Url, JobCommands.Username, JobCommands.Password, JobCommands.Output, JobCommands.Timeout };
        command.SetAction((parse, ct) => JobCommands.Run(parse, "export",
            new Ops.ExportJobRequest(parse.GetValue(instance), parse.GetValue(destination), parse.GetValue(days)), ct));
        return command;
    }

    public static Command Import()
    {
        var owner = new Argument<string>("owner-id") { Description = "Who owns the new instance." };
        var instance = new Argument<string>("instance-id") { Description = "The new instance's id (a GUID)." };
        var snapshot = new Argument<string>("snapshot") { Description = "The snapshot to restore: its id, as export printed it." };
        var guestLocation = new Argument<string?>("guest-location") { Description = "Where it runs: this broker's backend.", Arity = ArgumentArity.ZeroOrOne };
        var snapshotId = new Option<bool>("--snapshot-id")
        {
            Description = "<snapshot> is a snapshot id (the only form this broker imports: archives are imported by the id they were exported under).",
        };
        var ownerType = new Option<string?>("--owner-type") { Description = "The owner's kind (default: user)." };
        var plan = new Option<string?>("--plan-id") { Description = "The plan (default: the snapshot's)." };
        var command = new Command("import", "Provision a new instance restored from a snapshot through the ops API and follow the job.")
        {
            owner, instance, snapshot, guestLocation, JobCommands.ClusterId, snapshotId, ownerType, plan,
            JobCommands.Url, JobCommands.Username, JobCommands.Password, JobCommands.Output, JobCommands.Timeout,
        };
        command.SetAction((parse, ct) => JobCommands.Run(parse, "import", new Ops.ImportJobRequest(parse.GetValue(owner), parse.GetValue(instance),
            parse.GetValue(snapshot), PlanId: parse.GetValue(plan), ClusterId: parse.GetValue(JobCommands.ClusterId),
            GuestLocation: parse.GetValue(guestLocation), OwnerType: parse.GetValue(ownerType)), ct));
        return command;
    }
}
