using System.Text.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Osb;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.ServiceBindings;

/// <summary>
/// What an app gets to connect: the binding's own login on the instance's dedicated server, or on its cluster's server
/// for a database in a cluster (the login may connect to that database only); for a provisioner without a database step
/// (Redis), the binding's user of the server, with the provisioner's resource URI as its <c>uri</c>.
/// </summary>
public static class BindingCredentials
{
    /// <summary>
    /// The binding as the platform receives it, with only the fields its API version has. <c>parameters</c> belong to the
    /// fetch-binding response only (GET, 2.14+), never to the PUT's.
    /// </summary>
    public static JsonObject Body(
        ServiceInstance instance, ServerInfo server, ServiceBinding binding, SecretProtector secrets, Version version, bool fetched = false,
        Provisioner? provisioner = null) =>
        new OsbBody(version)
            .Add("credentials", JsonSerializer.SerializeToNode(instance.Database is null && provisioner is not null
                ? ServerCredentials(instance, server, binding, secrets, provisioner)
                : Credentials(instance, server, binding, secrets)))
            .Add(ApiFeature.BindingEndpoints, "endpoints", JsonSerializer.SerializeToNode(Endpoints(server)))
            .Add(ApiFeature.BindingExpiresAt, "metadata", Metadata(binding, version))
            .Add(ApiFeature.BindingsRetrievable, "parameters", fetched && binding.Parameters is not null ? JsonNode.Parse(binding.Parameters) : null)
            .Build();

    private static JsonObject Credentials(ServiceInstance instance, ServerInfo server, ServiceBinding binding, SecretProtector secrets)
    {
        var (host, port, database) = (server.Host, server.Port, instance.Database!.Database);
        var (username, password) = (binding.Username!, secrets.Unprotect(binding.EncryptedPassword!));
        var login = $"{Uri.EscapeDataString(username)}:{Uri.EscapeDataString(password)}";
        var credentials = JsonSerializer.SerializeToNode(new
        {
            uri = $"postgresql://{login}@{host}:{port}/{database}",
            jdbcUrl = $"jdbc:postgresql://{host}:{port}/{database}?user={Uri.EscapeDataString(username)}&password={Uri.EscapeDataString(password)}",
            host,
            port,
            database,
            username,
            password,
        })!.AsObject();
        // A dedicated instance's streaming replicas (the login is there by replication): each, and one libpq URI over
        // all of them that only ever connects to a read-only server (a standby), whichever of them answers first.
        if (instance.ClusterId is null && instance.Replicas.Count > 0)
        {
            credentials["replicas"] = JsonSerializer.SerializeToNode(instance.Replicas.Select(r => new { host = r.Host, port = r.Port }));
            credentials["readOnlyUri"] =
                $"postgresql://{login}@{string.Join(",", instance.Replicas.Select(r => $"{r.Host}:{r.Port}"))}/{database}?target_session_attrs=read-only";
        }
        return credentials;
    }

    /// <summary>A user of the server itself: its resource URI with the user's name and password in it.</summary>
    private static object ServerCredentials(ServiceInstance instance, ServerInfo server, ServiceBinding binding, SecretProtector secrets, Provisioner provisioner)
    {
        var (username, password) = (binding.Username!, secrets.Unprotect(binding.EncryptedPassword!));
        var resource = provisioner.ResourceUriOf(instance.Id, server.Host, server.Port, null)!;
        var scheme = new Uri(resource).Scheme;
        return new
        {
            uri = $"{scheme}://{Uri.EscapeDataString(username)}:{Uri.EscapeDataString(password)}@{resource[(scheme.Length + 3)..]}",
            host = server.Host,
            port = server.Port,
            username,
            password,
        };
    }

    private static object[] Endpoints(ServerInfo server) =>
        [new { host = server.Host, ports = new[] { server.Port.ToString() }, protocol = "tcp" }];

    /// <summary>expires_at (2.16) and renew_before (2.17) when the plan gives credentials a lifetime; renew in its last fifth.</summary>
    private static JsonObject? Metadata(ServiceBinding binding, Version version) =>
        binding.ExpiresAt is { } expiresAt
            ? new OsbBody(version)
                .Add("expires_at", expiresAt.ToString("O"))
                .Add(ApiFeature.BindingRenewBefore, "renew_before", (expiresAt - (expiresAt - binding.CreatedAt) / 5).ToString("O"))
                .Build()
            : null;
}
