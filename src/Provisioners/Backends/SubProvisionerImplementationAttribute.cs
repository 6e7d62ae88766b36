namespace EventSourced.Provisioners.Backends;

/// <summary>
/// The name a provisioner stanza picks this implementation by (<c>Provisioners:Definitions:&lt;name&gt;:Provides</c>): the
/// class is registered as a keyed service of each step interface it implements (<see cref="IServerBackend"/>,
/// <see cref="IStorageBackend"/>, <see cref="IDatabaseBackend"/>), so a new provisioner needs no registration code. An
/// <see cref="ISnapshotBackend"/> carries the name of the instance implementation whose data it exports and imports.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SubProvisionerImplementationAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
