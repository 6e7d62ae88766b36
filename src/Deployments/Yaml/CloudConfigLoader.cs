using EventSourced.Deployments.Model;
using YamlDotNet.RepresentationModel;

namespace EventSourced.Deployments.Yaml;

/// <summary>Loads and validates a cloud config:
/// <code>
/// azs: [{name: z1, hosts: [node-1]}]
/// vm_types: [{name: small, cpu: 1, ram: 512}]
/// disk_types: [{name: ten, size: 10240}]
/// networks:
/// - name: default
///   subnets: [{azs: [z1], range: 127.0.0.1:6000-6099, reserved: [127.0.0.1:6000], static: [127.0.0.1:6090-6099]}]
/// </code></summary>
public static class CloudConfigLoader
{
    public static CloudConfig Load(string file, string text)
    {
        var (doc, root) = YamlDocument.Load(file, text);
        if (root is null) throw new ConfigException(doc.Errors);
        doc.OnlyKeys(root, "", "azs", "vm_types", "disk_types", "networks");

        var azs = Items(doc, root, "azs", (map, path) =>
        {
            doc.OnlyKeys(map, path, "name", "hosts");
            var name = Name(doc, map, path);
            var hosts = doc.List(map, "hosts", path, true).Select(h => (Name: doc.Scalar(h.Node, h.Path), h.Node, h.Path)).ToList();
            doc.Unique(hosts.Select(h => ((object?)null, h.Name, h.Node, h.Path)), "host");
            if (hosts.Count == 0 && doc.Child(map, "hosts") is YamlSequenceNode empty) doc.Error(YamlDocument.Join(path, "hosts"), empty, "names no host");
            return name is null ? null : new AvailabilityZone(name, hosts.Where(h => h.Name is not null).Select(h => h.Name!).Distinct().ToList());
        });
        var azNames = azs.Select(a => a.Item.Name).ToHashSet();
        foreach (var host in azs.SelectMany(a => a.Item.Hosts.Select(h => (Host: h, a.Node, a.Path))).GroupBy(h => h.Host).Where(g => g.Count() > 1))
            doc.Error(host.Last().Path, host.Last().Node, $"host '{host.Key}' is already in another AZ; a host belongs to one AZ");

        var vmTypes = Items(doc, root, "vm_types", (map, path) =>
        {
            doc.OnlyKeys(map, path, "name", "cpu", "ram");
            var name = Name(doc, map, path);
            var cpu = doc.Int(map, "cpu", path, true, 1, 1024);
            var ram = doc.Int(map, "ram", path, true, 16, 16 * 1024 * 1024);
            return name is null || cpu is null || ram is null ? null : new VmType(name, cpu.Value, ram.Value);
        });
        var diskTypes = Items(doc, root, "disk_types", (map, path) =>
        {
            doc.OnlyKeys(map, path, "name", "size");
            var name = Name(doc, map, path);
            var size = doc.Int(map, "size", path, true, 1, int.MaxValue);
            return name is null || size is null ? null : new DiskType(name, size.Value);
        }, required: false);
        var networks = Items(doc, root, "networks", (map, path) =>
        {
            doc.OnlyKeys(map, path, "name", "subnets");
            var name = Name(doc, map, path);
            var subnets = new List<Subnet>();
            var covered = new HashSet<string>();
            foreach (var (node, subnetPath) in doc.List(map, "subnets", path, true))
            {
                if (doc.Map(node, subnetPath) is not { } subnet) continue;
                doc.OnlyKeys(subnet, subnetPath, "azs", "range", "reserved", "static");
                var subnetAzs = new List<string>();
                foreach (var (azNode, azPath) in doc.List(subnet, "azs", subnetPath, true))
                {
                    if (doc.Scalar(azNode, azPath) is not { } az) continue;
                    if (!azNames.Contains(az)) doc.Error(azPath, azNode, $"AZ '{az}' is not in azs");
                    else if (!covered.Add(az)) doc.Error(azPath, azNode, $"AZ '{az}' already has a subnet in this network");
                    else subnetAzs.Add(az);
                }
                var range = Addresses(doc, subnet, "range", subnetPath, true);
                var rangeSet = range.ToHashSet();
                var reserved = Addresses(doc, subnet, "reserved", subnetPath, false);
                var statics = Addresses(doc, subnet, "static", subnetPath, false);
                foreach (var (list, key) in new[] { (reserved, "reserved"), (statics, "static") })
                    if (list.FirstOrDefault(a => !rangeSet.Contains(a)) is { } outside)
                        doc.Error(YamlDocument.Join(subnetPath, key), doc.Child(subnet, key)!, $"'{outside}' is outside the subnet's range");
                if (statics.Intersect(reserved).FirstOrDefault() is { } both)
                    doc.Error(YamlDocument.Join(subnetPath, "static"), doc.Child(subnet, "static")!, $"'{both}' is both reserved and static");
                subnets.Add(new Subnet(subnetAzs, range.Distinct().ToList(), reserved.ToHashSet(), statics.ToHashSet()));
            }
            return name is null ? null : new Network(name, subnets);
        });
        foreach (var subnetAddress in networks.SelectMany(n => n.Item.Subnets.SelectMany(s => s.Range).Distinct().Select(a => (a, n)))
                     .GroupBy(x => x.a).Where(g => g.Count() > 1).Take(1))
            doc.Error("networks", root, $"address '{subnetAddress.Key}' is in more than one subnet's range");

        if (doc.Errors.Count > 0) throw new ConfigException(doc.Errors);
        return new CloudConfig(azs.Select(a => a.Item).ToList(), vmTypes.Select(v => v.Item).ToList(),
            diskTypes.Select(d => d.Item).ToList(), networks.Select(n => n.Item).ToList());
    }

    private static List<string> Addresses(YamlDocument doc, YamlMappingNode map, string key, string path, bool required)
    {
        var at = YamlDocument.Join(path, key);
        var node = doc.Child(map, key);
        IEnumerable<(YamlNode Node, string Path)> entries = node is YamlScalarNode ? [(node, at)] : doc.List(map, key, path, required);
        if (node is null && required) return [];
        var addresses = new List<string>();
        foreach (var (entry, entryPath) in entries)
        {
            if (doc.Scalar(entry, entryPath) is not { } text) continue;
            if (AddressRange.TryExpand(text, out var expanded, out var error)) addresses.AddRange(expanded);
            else doc.Error(entryPath, entry, error);
            if (addresses.Count > AddressRange.MaxAddresses)
            {
                doc.Error(at, entry, $"holds more than {AddressRange.MaxAddresses:N0} addresses");
                return [];
            }
        }
        return addresses;
    }

    public static string? Name(YamlDocument doc, YamlMappingNode map, string path)
    {
        var name = doc.String(map, "name", path, true);
        return doc.IsName(name, doc.Child(map, "name") ?? map, YamlDocument.Join(path, "name")) ? name : null;
    }

    public static List<(T Item, YamlNode Node, string Path)> Items<T>(YamlDocument doc, YamlMappingNode root, string key,
        Func<YamlMappingNode, string, T?> read, bool required = true, string path = "") where T : class
    {
        var items = new List<(T Item, string? Name, YamlNode Node, string Path)>();
        foreach (var (node, itemPath) in doc.List(root, key, path, required))
        {
            if (doc.Map(node, itemPath) is not { } map) continue;
            var item = read(map, itemPath);
            var nameNode = doc.Child(map, "name") ?? map;
            items.Add((item!, (nameNode as YamlScalarNode)?.Value, nameNode, YamlDocument.Join(itemPath, "name")));
        }
        doc.Unique(items, key.TrimEnd('s').Replace("_type", " type"));
        return items.Where(i => i.Item is not null).Select(i => (i.Item, i.Node, i.Path)).ToList();
    }
}
