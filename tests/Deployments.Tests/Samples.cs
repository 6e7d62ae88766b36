using EventSourced.Deployments.Model;
using EventSourced.Deployments.Yaml;

namespace EventSourced.Deployments.Tests;

/// <summary>The cloud config and manifest the README shows, so the examples are the tested ones.</summary>
public static class Samples
{
    public const string CloudConfigYaml = """
        azs:
        - name: z1
          hosts: [node-1, node-2]
        - name: z2
          hosts: [node-3]
        - name: z3
          hosts: [node-4]
        vm_types:
        - {name: small, cpu: 1, ram: 512}
        - {name: large, cpu: 4, ram: 4096}
        disk_types:
        - {name: ten, size: 10240}
        networks:
        - name: default
          subnets:
          - {azs: [z1], range: 127.0.0.1:6000-6099, reserved: [127.0.0.1:6000], static: [127.0.0.1:6090-6099]}
          - {azs: [z2], range: 127.0.0.1:7000-7099, reserved: [127.0.0.1:7000]}
          - {azs: [z3], range: 10.0.3.0/24, reserved: [10.0.3.1-10.0.3.9]}
        """;

    public const string ManifestYaml = """
        name: pg-1
        update:
          canaries: 1
          max_in_flight: 10
          vm:
            surge: 10
        instance_groups:
        - name: primary
          instances: 1
          azs: [z1]
          vm_type: small
          persistent_disk_type: ten
          jobs:
          - name: postgres
            version: "16.4"
            properties:
              postgres: {max_connections: 100, work_mem: 4MB}
          update:
            vm:
              surge: 0
        - name: replicas
          instances: 3
          azs: [z1, z2, z3]
          vm_type: small
          persistent_disk_type: ten
          jobs:
          - name: postgres
            version: "16.4"
            consumes:
              primary: {from: primary}
          update:
            max_in_flight: 50%
        """;

    public static CloudConfig Cloud() => CloudConfigLoader.Load("cloud-config.yml", CloudConfigYaml);
    public static DeploymentManifest Manifest() => ManifestLoader.Load("manifest.yml", ManifestYaml, Cloud());
}
