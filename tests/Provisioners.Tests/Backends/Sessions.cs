using EventSourced.Provisioners.Backends;
using Npgsql;

namespace EventSourced.Provisioners.Tests.Backends;

/// <summary>Sessions as a bound application opens them: over TCP with a username and password, no pooling.</summary>
internal static class Sessions
{
    public const string PasswordFailed = "28P01";

    public static async Task<NpgsqlConnection> Open(ServerEndpoint endpoint, string database, string username, string password)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = endpoint.Host, Port = endpoint.Port, Database = database, Username = username, Password = password, Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public static async Task<T> Scalar<T>(this NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<string> Show(ServerEndpoint endpoint, string database, string username, string password, string setting)
    {
        await using var connection = await Open(endpoint, database, username, password);
        return await connection.Scalar<string>($"SHOW {setting}");
    }
}
