namespace EventSourced.Broker.Tests.Fuzz;

/// <summary>
/// What the generator knows of the broker under test: where it listens, its credentials and body limit, and the one
/// provisioned instance and binding it has (so requests reach the decisions, not only the id checks).
/// </summary>
public sealed record FuzzTarget(
    string Host, string Username, string Password, long BodyLimit, Guid Instance, string InstanceOrganization, Guid Binding, string BindingApp);
