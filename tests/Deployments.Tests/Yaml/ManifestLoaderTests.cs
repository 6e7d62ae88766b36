using EventSourced.Deployments.Model;
using EventSourced.Deployments.Yaml;

namespace EventSourced.Deployments.Tests.Yaml;

public class ManifestLoaderTests
{
    private static ConfigError[] Errors(string yaml) =>
        Assert.Throws<ConfigException>(() => ManifestLoader.Load("m.yml", yaml, Samples.Cloud())).Errors.ToArray();

    [Fact]
    public void Update_is_inherited_and_overridden_field_by_field_as_in_seed_002()
    {
        var manifest = Samples.Manifest();
        var primary = manifest.Group("primary")!;
        var replicas = manifest.Group("replicas")!;
        Assert.Equal(0, primary.Update.Surge);
        Assert.Equal(UpdateStrategy.DeleteCreate, primary.Update.Strategy);
        Assert.Equal(new InFlight(10, false), primary.Update.MaxInFlight);
        Assert.Equal(10, replicas.Update.Surge);
        Assert.Equal(UpdateStrategy.CreateSwapDelete, replicas.Update.Strategy);
        Assert.Equal(new InFlight(50, true), replicas.Update.MaxInFlight);
        Assert.Equal(1, replicas.Update.MaxInFlight.For(3));
        Assert.Equal("100", primary.Jobs[0].Properties["postgres.max_connections"]);
        Assert.Equal([new LinkConsumption("primary", "primary")], replicas.Jobs[0].Consumes);
        Assert.Equal("default", replicas.Network);
    }

    [Fact]
    public void No_surge_keeps_delete_create()
    {
        var manifest = ManifestLoader.Load("m.yml", "name: d\ninstance_groups:\n- {name: g, instances: 2, azs: [z1], vm_type: small, jobs: [{name: j, version: '1'}]}",
            Samples.Cloud());
        Assert.Null(manifest.Group("g")!.Update.Surge);
        Assert.Equal(UpdateStrategy.DeleteCreate, manifest.Group("g")!.Update.Strategy);
    }

    [Fact]
    public void Every_error_names_file_path_and_line()
    {
        var errors = Errors("""
            name: d
            update: {vm: {surge: many}}
            instance_groups:
            - name: a
              instances: 2
              azs: [z1, z7]
              vm_type: huge
              persistent_disk_type: none
              jobs: [{name: j, version: '1', consumes: {db: {from: nowhere}}}]
              update:
                vm:
                  surge: -1
                max_in_flight: 150%
            - name: a
              instances: two
              azs: z1
              vm_type: small
              jobs: [{name: j, version: '1'}, {name: j, version: '2', colour: red}]
            """);
        Assert.All(errors, e => Assert.Equal("m.yml", e.File));
        void Has(string path, int line, string text) =>
            Assert.True(errors.Any(e => e.Path == path && e.Line == line && e.Message.Contains(text)),
                $"no error {path}:{line} '{text}' in:\n{string.Join("\n", errors)}");
        Has("update.vm.surge", 2, "'many'");
        Has("instance_groups[0].azs[1]", 6, "AZ 'z7' is not in the cloud config");
        Has("instance_groups[0].vm_type", 7, "vm type 'huge'");
        Has("instance_groups[0].persistent_disk_type", 8, "disk type 'none'");
        Has("instance_groups[0].jobs[0].consumes.db.from", 9, "'nowhere' is not in this deployment");
        Has("instance_groups[0].update.vm.surge", 12, "is -1");
        Has("instance_groups[0].update.max_in_flight", 13, "not a percentage");
        Has("instance_groups[1].name", 14, "duplicate instance_group name 'a'");
        Has("instance_groups[1].instances", 15, "'two'");
        Has("instance_groups[1].azs", 16, "expected a list");
        Has("instance_groups[1].jobs[1].name", 18, "duplicate job name 'j'");
        Has("instance_groups[1].jobs[1].colour", 18, "unknown key");
    }

    [Fact]
    public void Static_addresses_must_be_the_subnets_static_ones_one_per_instance()
    {
        var errors = Errors("""
            name: d
            instance_groups:
            - name: a
              instances: 2
              azs: [z1]
              vm_type: small
              static_addresses: [127.0.0.1:6090, 127.0.0.1:6010]
              jobs: [{name: j, version: '1'}]
            """);
        Assert.Contains(errors, e => e.Path == "instance_groups[0].static_addresses[1]" && e.Line == 7 && e.Message.Contains("not a static address"));
        Assert.Contains(errors, e => e.Path == "instance_groups[0].static_addresses" && e.Message.Contains("names 1 addresses for 2 instances"));
    }
}
