namespace EventSourced.Commands.Hosts;

/// <summary>
/// A message for work on one worker host's own resources (a local VM's disk, its server process): it is carried out
/// only on that host, whichever node's queue it reached first. Null: the instance predates hosts, any host will do.
/// </summary>
public interface IRunsOnHost
{
    string? Host { get; }
}
