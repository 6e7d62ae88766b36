using Npgsql;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>The postgres superuser's connection over an instance's unix socket, which trusts local connections.</summary>
internal static class Superuser
{
    /// <summary>The longest one statement may wait, most of it for its turn at the server's catalog.</summary>
    public static readonly TimeSpan CatalogQueueTimeout = TimeSpan.FromMinutes(5);

    public static async Task<NpgsqlConnection> Connect(InstanceDirectory instance, int port, string database, CancellationToken ct)
    {
        var socketDirectory = instance.SocketDirectoryOf(port);
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = socketDirectory,
            Port = port,
            Username = "postgres",
            Database = database,
            Pooling = false,
            // Catalog changes on one server take turns (advisory locks): fifty databases of a cluster dropped at once queue
            // behind each other's DROP DATABASE, each a checkpoint, and the last waits far beyond Npgsql's 30 s default. A
            // wait in that queue is progress, not a hang; a server that stops answering still breaks the connection.
            CommandTimeout = (int)CatalogQueueTimeout.TotalSeconds,
            // Whatever logging an instance's settings ask for, the statements that carry passwords stay out of server.log.
            Options = "-c log_statement=none -c log_min_duration_statement=-1 -c log_min_error_statement=panic",
        }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or IOException)
        {
            await connection.DisposeAsync();
            throw new BackendException($"could not connect to database {database} of instance {instance.InstanceId} on {socketDirectory}: {e.Message}", e);
        }
    }

    public static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
