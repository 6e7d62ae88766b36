using Weasel.Core;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace EventSourced.Provisioners.Backends.Simulated;

/// <summary>
/// Where the shared simulated IaaS keeps its storage, servers and logins: tables in the event store's schema, part of
/// Marten's schema (created or migrated with it, and by <c>db apply</c>), and a sequence that numbers the servers' ports
/// once for the whole deployment.
/// </summary>
public sealed class SimulatedTables(string schema)
{
    public string Storage { get; } = $"{schema}.simulated_storage";
    public string Servers { get; } = $"{schema}.simulated_servers";
    public string Logins { get; } = $"{schema}.simulated_logins";
    public string Ports { get; } = $"{schema}.simulated_ports";

    public IEnumerable<ISchemaObject> SchemaObjects()
    {
        var storage = new Table(Name("simulated_storage"));
        storage.AddColumn<Guid>("instance_id").AsPrimaryKey();
        storage.AddColumn<int>("disk_mb").NotNull();
        yield return storage;

        var servers = new Table(Name("simulated_servers"));
        servers.AddColumn<Guid>("instance_id").AsPrimaryKey();
        servers.AddColumn<int>("port").NotNull();
        servers.AddColumn("settings", "jsonb").NotNull();
        yield return servers;

        var logins = new Table(Name("simulated_logins"));
        logins.AddColumn<Guid>("instance_id").AsPrimaryKey();
        logins.AddColumn<string>("username").AsPrimaryKey();
        logins.AddColumn<string>("database").NotNull();
        logins.AddColumn<string>("password").NotNull();
        logins.AddColumn("valid_until", "timestamptz");
        yield return logins;

        yield return new Sequence(Name("simulated_ports"), SimulatedBackend.FirstPort + 1);
    }

    private PostgresqlObjectName Name(string name) => new(schema, name, SchemaUtils.IdentifierUsage.General);
}
