using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.ServiceBindings;

/// <summary>What an app gets to connect: the binding's own login on the instance's dedicated server.</summary>
public static class BindingCredentials
{
    public static object Credentials(ServiceInstance instance, ServiceBinding binding, SecretProtector secrets)
    {
        var (host, port, database) = (instance.Server!.Host, instance.Server.Port, instance.Database!.Database);
        var (username, password) = (binding.Username!, secrets.Unprotect(binding.EncryptedPassword!));
        return new
        {
            uri = $"postgresql://{Uri.EscapeDataString(username)}:{Uri.EscapeDataString(password)}@{host}:{port}/{database}",
            jdbcUrl = $"jdbc:postgresql://{host}:{port}/{database}?user={Uri.EscapeDataString(username)}&password={Uri.EscapeDataString(password)}",
            host,
            port,
            database,
            username,
            password,
        };
    }

    public static object[] Endpoints(ServiceInstance instance) =>
        [new { host = instance.Server!.Host, ports = new[] { instance.Server.Port.ToString() }, protocol = "tcp" }];

    /// <summary>expires_at / renew_before when the plan gives credentials a lifetime (renew in the last fifth of it).</summary>
    public static object? Metadata(ServiceBinding binding) =>
        binding.ExpiresAt is { } expiresAt
            ? new { expires_at = expiresAt.ToString("O"), renew_before = (expiresAt - (expiresAt - binding.CreatedAt) / 5).ToString("O") }
            : null;
}
