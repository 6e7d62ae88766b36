using EventSourced.Deployments.Model;
using YamlDotNet.RepresentationModel;

namespace EventSourced.Deployments.Yaml;

/// <summary>Loads a deployment manifest and validates it against the cloud config it will be deployed with:
/// every AZ, vm type, disk type, network and static address it names must exist there, every link must name a group
/// of the deployment. <c>update</c> may stand at deployment level and in a group, which overrides field by field.</summary>
public static class ManifestLoader
{
    public const int MaxInstances = 10_000;

    public static DeploymentManifest Load(string file, string text, CloudConfig cloud)
    {
        var (doc, root) = YamlDocument.Load(file, text);
        if (root is null) throw new ConfigException(doc.Errors);
        doc.OnlyKeys(root, "", "name", "instance_groups", "update");
        var name = CloudConfigLoader.Name(doc, root, "");
        var update = (Update(doc, root, "") ?? new UpdateBlock(null, null, null, null)).Over(UpdatePolicy.Default);

        var links = new List<(string From, YamlNode Node, string Path)>();
        var groups = CloudConfigLoader.Items(doc, root, "instance_groups", (map, path) => Group(doc, map, path, cloud, update, links));
        var groupNames = groups.Select(g => g.Item.Name).ToHashSet();
        foreach (var (from, node, path) in links.Where(l => !groupNames.Contains(l.From)))
            doc.Error(path, node, $"instance group '{from}' is not in this deployment");
        if (doc.Errors.Count > 0) throw new ConfigException(doc.Errors);
        return new DeploymentManifest(name!, groups.Select(g => g.Item).ToList(), update);
    }

    private static InstanceGroup? Group(YamlDocument doc, YamlMappingNode map, string path, CloudConfig cloud, UpdatePolicy deployment,
        List<(string From, YamlNode Node, string Path)> links)
    {
        doc.OnlyKeys(map, path, "name", "instances", "azs", "vm_type", "persistent_disk_type", "network", "static_addresses", "jobs", "update");
        var name = CloudConfigLoader.Name(doc, map, path);
        var instances = doc.Int(map, "instances", path, true, 0, MaxInstances);
        var azs = new List<string>();
        foreach (var (node, azPath) in doc.List(map, "azs", path, true))
        {
            if (doc.Scalar(node, azPath) is not { } az) continue;
            if (cloud.Az(az) is null) doc.Error(azPath, node, $"AZ '{az}' is not in the cloud config (has: {string.Join(", ", cloud.Azs.Select(a => a.Name))})");
            else if (azs.Contains(az)) doc.Error(azPath, node, $"AZ '{az}' is listed twice");
            else azs.Add(az);
        }
        if (doc.Child(map, "azs") is YamlSequenceNode { Children.Count: 0 } noAzs) doc.Error(YamlDocument.Join(path, "azs"), noAzs, "names no AZ");

        var vmType = doc.String(map, "vm_type", path, true);
        if (vmType is not null && cloud.VmType(vmType) is null)
            doc.Error(YamlDocument.Join(path, "vm_type"), doc.Child(map, "vm_type")!, $"vm type '{vmType}' is not in the cloud config");
        var diskType = doc.String(map, "persistent_disk_type", path, false);
        if (diskType is not null && cloud.DiskType(diskType) is null)
            doc.Error(YamlDocument.Join(path, "persistent_disk_type"), doc.Child(map, "persistent_disk_type")!, $"disk type '{diskType}' is not in the cloud config");

        var networkName = doc.String(map, "network", path, false) ?? (cloud.Networks.Count == 1 ? cloud.Networks[0].Name : null);
        var networkNode = doc.Child(map, "network") ?? map;
        var network = networkName is null ? null : cloud.Network(networkName);
        if (networkName is null) doc.Error(YamlDocument.Join(path, "network"), map, "is required when the cloud config has more than one network");
        else if (network is null) doc.Error(YamlDocument.Join(path, "network"), networkNode, $"network '{networkName}' is not in the cloud config");
        else
            foreach (var az in azs.Where(az => network.For(az) is null))
                doc.Error(YamlDocument.Join(path, "network"), networkNode, $"network '{networkName}' has no subnet in AZ '{az}'");

        var statics = new List<string>();
        foreach (var (node, staticPath) in doc.List(map, "static_addresses", path, false))
        {
            if (doc.Scalar(node, staticPath) is not { } address) continue;
            if (statics.Contains(address)) doc.Error(staticPath, node, $"'{address}' is listed twice");
            else if (network is not null && !azs.Any(az => network.For(az)?.Static.Contains(address) == true))
                doc.Error(staticPath, node, $"'{address}' is not a static address of network '{networkName}' in the group's AZs");
            else statics.Add(address);
        }
        if (statics.Count > 0 && instances is { } count && statics.Count != count)
            doc.Error(YamlDocument.Join(path, "static_addresses"), doc.Child(map, "static_addresses")!,
                $"names {statics.Count} addresses for {count} instances; a group with static addresses names one per instance");

        var jobs = CloudConfigLoader.Items(doc, map, "jobs", (job, jobPath) => Job(doc, job, jobPath, links), required: true, path: path);
        var update = (Update(doc, map, path) ?? new UpdateBlock(null, null, null, null)).Over(deployment);
        if (name is null || instances is null || vmType is null || networkName is null) return null;
        return new InstanceGroup(name, instances.Value, azs, vmType, diskType, networkName, statics, jobs.Select(j => j.Item).ToList(), update);
    }

    private static Job? Job(YamlDocument doc, YamlMappingNode map, string path, List<(string From, YamlNode Node, string Path)> pending)
    {
        doc.OnlyKeys(map, path, "name", "release", "version", "properties", "consumes");
        var name = CloudConfigLoader.Name(doc, map, path);
        var release = doc.String(map, "release", path, false) ?? name;
        var version = doc.String(map, "version", path, true);
        var properties = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (doc.OptionalMap(map, "properties", path) is { } props) Flatten(doc, props, "", YamlDocument.Join(path, "properties"), properties);
        var consumes = new List<LinkConsumption>();
        if (doc.OptionalMap(map, "consumes", path) is { } links)
            foreach (var (key, value) in links.Children)
            {
                var linkName = (key as YamlScalarNode)?.Value ?? "";
                var linkPath = YamlDocument.Join(YamlDocument.Join(path, "consumes"), linkName);
                if (doc.Map(value, linkPath) is not { } link) continue;
                doc.OnlyKeys(link, linkPath, "from");
                if (doc.String(link, "from", linkPath, true) is not { } from) continue;
                consumes.Add(new LinkConsumption(linkName, from));
                pending.Add((from, doc.Child(link, "from")!, YamlDocument.Join(linkPath, "from")));
            }
        return name is null || version is null ? null : new Job(name, release!, version, properties, consumes);
    }

    private static void Flatten(YamlDocument doc, YamlNode node, string key, string path, IDictionary<string, string> into)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    var name = (k as YamlScalarNode)?.Value ?? "";
                    Flatten(doc, v, key.Length == 0 ? name : $"{key}.{name}", YamlDocument.Join(path, name), into);
                }
                break;
            case YamlSequenceNode list:
                for (var i = 0; i < list.Children.Count; i++) Flatten(doc, list.Children[i], $"{key}[{i}]", $"{path}[{i}]", into);
                break;
            case YamlScalarNode scalar:
                into[key] = scalar.Value ?? "";
                break;
        }
    }

    private static UpdateBlock? Update(YamlDocument doc, YamlMappingNode map, string path)
    {
        if (doc.OptionalMap(map, "update", path) is not { } update) return null;
        var at = YamlDocument.Join(path, "update");
        doc.OnlyKeys(update, at, "canaries", "max_in_flight", "serial", "vm");
        var canaries = doc.Int(update, "canaries", at, false, 0, MaxInstances);
        InFlight? inFlight = null;
        if (doc.Child(update, "max_in_flight") is YamlScalarNode { Value: { } text } node && text.EndsWith('%'))
        {
            if (int.TryParse(text[..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var percent) &&
                percent is >= 1 and <= 100)
                inFlight = new InFlight(percent, true);
            else doc.Error(YamlDocument.Join(at, "max_in_flight"), node, $"'{YamlDocument.Shorten(text)}' is not a percentage from 1% to 100%");
        }
        else if (doc.Int(update, "max_in_flight", at, false, 1, MaxInstances) is { } number) inFlight = new InFlight(number, false);
        var serial = doc.Bool(update, "serial", at);
        int? surge = null;
        if (doc.OptionalMap(update, "vm", at) is { } vm)
        {
            var vmPath = YamlDocument.Join(at, "vm");
            doc.OnlyKeys(vm, vmPath, "surge");
            surge = doc.Int(vm, "surge", vmPath, false, 0, MaxInstances);
        }
        return new UpdateBlock(canaries, inFlight, serial, surge);
    }
}
