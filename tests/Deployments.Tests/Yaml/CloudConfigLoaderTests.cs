using EventSourced.Deployments.Model;
using EventSourced.Deployments.Yaml;

namespace EventSourced.Deployments.Tests.Yaml;

public class CloudConfigLoaderTests
{
    private static ConfigError[] Errors(string yaml) =>
        Assert.Throws<ConfigException>(() => CloudConfigLoader.Load("cc.yml", yaml)).Errors.ToArray();

    [Fact]
    public void The_sample_loads_with_its_addresses_expanded()
    {
        var cloud = Samples.Cloud();
        Assert.Equal(["z1", "z2", "z3"], cloud.Azs.Select(a => a.Name));
        Assert.Equal(["node-1", "node-2"], cloud.Az("z1")!.Hosts);
        var z1 = cloud.Network("default")!.For("z1")!;
        Assert.Equal(100, z1.Range.Count);
        Assert.Equal(89, z1.Dynamic.Count());
        var z3 = cloud.Network("default")!.For("z3")!;
        Assert.Equal("10.0.3.1", z3.Range[0]);
        Assert.Equal(254, z3.Range.Count);
        Assert.Equal("10.0.3.10", z3.Dynamic.First());
    }

    [Fact]
    public void Every_error_names_file_path_and_line()
    {
        var errors = Errors("""
            azs:
            - name: z1
              hosts: [a]
            - name: z1
              hosts: [a]
            vm_types:
            - {name: small, cpu: lots, ram: 512}
            networks:
            - name: n
              subnets:
              - {azs: [z9], range: 10.0.0.1-10.0.0.300}
            colour: blue
            """);
        Assert.All(errors, e => Assert.Equal("cc.yml", e.File));
        Assert.Contains(errors, e => e.Path == "azs[1].name" && e.Line == 4 && e.Message.Contains("duplicate az name 'z1'"));
        Assert.Contains(errors, e => e.Path == "azs[1].name" && e.Line == 4 && e.Message.Contains("host 'a' is already in another AZ"));
        Assert.Contains(errors, e => e.Path == "vm_types[0].cpu" && e.Line == 7 && e.Message.Contains("'lots'"));
        Assert.Contains(errors, e => e.Path == "networks[0].subnets[0].azs[0]" && e.Line == 11 && e.Message.Contains("'z9' is not in azs"));
        Assert.Contains(errors, e => e.Path == "networks[0].subnets[0].range" && e.Line == 11 && e.Message.Contains("not an IPv4 range"));
        Assert.Contains(errors, e => e.Path == "colour" && e.Line == 12 && e.Message.Contains("unknown key"));
    }

    [Fact]
    public void An_alias_bomb_is_refused_before_it_expands()
    {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + string.Join("\n",
            Enumerable.Range(1, 9).Select(i => $"{(char)('a' + i)}: &{(char)('a' + i)} [{string.Join(",", Enumerable.Repeat($"*{(char)('a' + i - 1)}", 9))}]"));
        var error = Assert.Single(Errors(bomb));
        Assert.Contains("alias *a", error.Message);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Huge_deep_wide_and_multi_document_files_are_refused()
    {
        Assert.Contains("characters; at most", Assert.Single(Errors("azs: [" + new string('x', YamlDocument.MaxBytes) + "]")).Message);
        Assert.Contains("nested deeper", Assert.Single(Errors("azs: " + new string('[', 100) + new string(']', 100))).Message);
        Assert.Contains("more than 100,000 nodes", Assert.Single(Errors("azs: [" + string.Join(",", Enumerable.Repeat("1", 100_001)) + "]")).Message);
        Assert.Contains("more than one document", Assert.Single(Errors("azs: []\n---\nazs: []\n")).Message);
        Assert.Contains("ends before it starts", Errors("networks: [{name: n, subnets: [{azs: [], range: 10.0.0.9-10.0.0.1}]}]").Select(e => e.Message).First(m => m.Contains("ends")));
        Assert.Contains(Errors("networks: [{name: n, subnets: [{azs: [], range: 10.0.0.0/8}]}]"), e => e.Message.Contains("/16 and /30"));
    }

    [Fact]
    public void Wrong_types_and_broken_yaml_are_errors_not_exceptions()
    {
        Assert.Contains(Errors("azs: {name: z1}"), e => e.Path == "azs" && e.Message == "expected a list, found a mapping");
        Assert.Contains(Errors("- just\n- a list"), e => e.Path == "" && e.Message.Contains("expected a mapping"));
        var broken = Assert.Single(Errors("azs: [z1\nvm_types: ]"));
        Assert.Contains("not valid YAML", broken.Message);
        Assert.True(broken.Line >= 1);
        Assert.Contains(Errors("azs: []\nazs: []"), e => e.Message.Contains("not valid YAML") && e.Line == 2);
        Assert.Contains("is empty", Assert.Single(Errors("")).Message);
    }
}
