using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace EventSourced.Projections.Subscriptions;

/// <summary>
/// The transaction-scoped advisory lock that makes one runner at a time (across all nodes) apply a subscription's next
/// batch. Keys are derived from the name with SHA-256 so every node and process computes the same one.
/// </summary>
public static class SubscriptionLock
{
    private const string TryAcquireSql = "SELECT pg_try_advisory_xact_lock($1)";
    private const string AcquireSql = "SELECT pg_advisory_xact_lock($1)";

    public static long Key(string subscriptionName) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"subscription:{subscriptionName}")));

    public static async Task<bool> TryAcquire(NpgsqlConnection connection, NpgsqlTransaction transaction, string subscriptionName, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(TryAcquireSql, connection, transaction) { Parameters = { new() { Value = Key(subscriptionName) } } };
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    public static async Task Acquire(NpgsqlConnection connection, NpgsqlTransaction transaction, string subscriptionName, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(AcquireSql, connection, transaction) { Parameters = { new() { Value = Key(subscriptionName) } } };
        await command.ExecuteNonQueryAsync(ct);
    }
}
