using System.Collections.Concurrent;
using EventSourced.Commands.EventStore;
using MassTransit;
using Npgsql;

namespace EventSourced.Provisioners.Tests.Bus;

/// <summary>
/// A consumer as the house writes them: the inbox row and its own effect in one transaction. It has no unique key on
/// its rows, so only the inbox stands between a redelivery and a second row; every handled delivery is counted.
/// </summary>
public sealed class ParcelScanApplier(NpgsqlDataSource dataSource, ParcelScanDeliveries deliveries) : IConsumer<ParcelScanned>
{
    public const string Schema = "CREATE TABLE IF NOT EXISTS applied_scans (event_id uuid NOT NULL, stream_id text NOT NULL, sequence int NOT NULL)";
    private const string Insert = "INSERT INTO applied_scans (event_id, stream_id, sequence) VALUES ($1, $2, $3)";

    public async Task Consume(ConsumeContext<ParcelScanned> context)
    {
        var messageId = context.MessageId!.Value;
        await Apply(messageId, context.Message, context.CancellationToken);
        deliveries.Seen(messageId);
    }

    private async Task Apply(Guid messageId, ParcelScanned scan, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await Inbox.TryRecord(connection, transaction, nameof(ParcelScanApplier), messageId, ct)) return;
        await using var command = new NpgsqlCommand(Insert, connection, transaction)
        {
            Parameters = { new() { Value = messageId }, new() { Value = scan.StreamId }, new() { Value = scan.Sequence } },
        };
        await command.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }
}

public sealed class ParcelScanDeliveries
{
    private readonly ConcurrentDictionary<Guid, int> _byMessage = new();

    public void Seen(Guid messageId) => _byMessage.AddOrUpdate(messageId, 1, (_, n) => n + 1);

    public int Total => _byMessage.Values.Sum();
    public int Redelivered => _byMessage.Values.Count(n => n > 1);
}
