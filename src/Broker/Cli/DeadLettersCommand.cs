using System.CommandLine;
using EventSourced.Provisioners.DeadLetters;

namespace EventSourced.Broker.Cli;

/// <summary><c>dead-letters list</c> (each endpoint's error queue) and <c>dead-letters redrive [--endpoint name]</c>.</summary>
public static class DeadLettersCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the messages whose retries ran out, per endpoint.");
        list.SetAction((_, ct) => OperatorCommands.WithServices(services => List(services.GetRequiredService<DeadLetterQueues>(), ct)));
        var endpoint = new Option<string?>("--endpoint") { Description = $"Only this endpoint: {string.Join(", ", DeadLetterQueues.Endpoints)}." };
        var redrive = new Command("redrive", "Send the messages of the error queues back to their endpoints.") { endpoint };
        redrive.SetAction((parse, ct) => OperatorCommands.WithServices(services =>
            Redrive(services.GetRequiredService<DeadLetterQueues>(), parse.GetValue(endpoint), ct)));
        return new Command("dead-letters", "Messages whose retries ran out (RabbitMQ error queues).") { list, redrive };
    }

    private static async Task<int> List(DeadLetterQueues queues, CancellationToken ct)
    {
        var found = await queues.List(peek: 10, ct);
        if (found.Count == 0) Console.WriteLine("No error queues: no message has run out of retries.");
        foreach (var queue in found)
        {
            Console.WriteLine($"{queue.Queue}: {queue.Messages} message(s)");
            foreach (var letter in queue.First)
                Console.WriteLine($"  {letter.FailedAt} {letter.MessageType} {letter.MessageId}: {letter.Reason}");
        }
        return 0;
    }

    private static async Task<int> Redrive(DeadLetterQueues queues, string? endpoint, CancellationToken ct)
    {
        try
        {
            Console.WriteLine($"{await queues.Redrive(endpoint, ct)} message(s) sent back.");
            return 0;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
    }
}
