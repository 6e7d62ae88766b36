namespace EventSourced.Deployments.Model;

/// <summary>The operator's description of where deployments may run, kept apart from manifests so that a service
/// adapter names resources (an AZ, a vm type, a network) and never deals with hosts or addresses itself.</summary>
public sealed record CloudConfig(
    IReadOnlyList<AvailabilityZone> Azs,
    IReadOnlyList<VmType> VmTypes,
    IReadOnlyList<DiskType> DiskTypes,
    IReadOnlyList<Network> Networks)
{
    public AvailabilityZone? Az(string name) => Azs.FirstOrDefault(a => a.Name == name);
    public VmType? VmType(string name) => VmTypes.FirstOrDefault(v => v.Name == name);
    public DiskType? DiskType(string name) => DiskTypes.FirstOrDefault(d => d.Name == name);
    public Network? Network(string name) => Networks.FirstOrDefault(n => n.Name == name);
}

/// <summary>A failure domain: a named set of hosts. Instances of a group are spread evenly over its AZs.</summary>
public sealed record AvailabilityZone(string Name, IReadOnlyList<string> Hosts);

/// <summary>VM size; on the local backend it maps to the server's memory settings.</summary>
public sealed record VmType(string Name, int Cpu, int RamMb);

public sealed record DiskType(string Name, int SizeMb);

/// <summary>A network: one subnet per AZ (a subnet may serve several AZs). Addresses are the engine's job.</summary>
public sealed record Network(string Name, IReadOnlyList<Subnet> Subnets)
{
    public Subnet? For(string az) => Subnets.FirstOrDefault(s => s.Azs.Contains(az));
}

/// <summary>The addresses of a subnet in allocation order. <see cref="Reserved"/> are never handed out;
/// <see cref="Static"/> only to groups that name them, so dynamic allocation never takes one a group may ask for later.</summary>
public sealed record Subnet(IReadOnlyList<string> Azs, IReadOnlyList<string> Range, IReadOnlySet<string> Reserved, IReadOnlySet<string> Static)
{
    public IEnumerable<string> Dynamic => Range.Where(a => !Reserved.Contains(a) && !Static.Contains(a));
}
