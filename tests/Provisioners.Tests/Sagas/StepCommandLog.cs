using System.Collections.Concurrent;
using EventSourced.Provisioners.Messages;
using MassTransit;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>
/// Every step command the saga sent, each delivery counted: the harness's own published list keeps one entry per message
/// id, so it cannot show a step sent again under the same id.
/// </summary>
public sealed class StepCommandLog
{
    private readonly ConcurrentQueue<(Type Type, Guid OperationId, Guid MessageId)> _sent = new();

    public void Add(Type type, Guid operationId, Guid messageId) => _sent.Enqueue((type, operationId, messageId));

    public Guid[] MessageIds<T>(Guid operationId) =>
        _sent.Where(s => s.Type == typeof(T) && s.OperationId == operationId).Select(s => s.MessageId).ToArray();
}

public sealed class StepCommandLogger(StepCommandLog log) :
    IConsumer<ProvisionStorage>, IConsumer<ProvisionServer>, IConsumer<ProvisionDatabase>, IConsumer<ReconfigureServer>,
    IConsumer<DeprovisionDatabase>, IConsumer<DeprovisionServer>, IConsumer<DeprovisionStorage>,
    IConsumer<CompleteOperation>, IConsumer<FailOperation>
{
    public Task Consume(ConsumeContext<ProvisionStorage> context) => Log(context, context.Message.OperationId);
    public Task Consume(ConsumeContext<ProvisionServer> context) => Log(context, context.Message.OperationId);
    public Task Consume(ConsumeContext<ProvisionDatabase> context) => Log(context, context.Message.OperationId);
    public Task Consume(ConsumeContext<ReconfigureServer> context) => Log(context, context.Message.OperationId);
    public Task Consume(ConsumeContext<DeprovisionDatabase> context) => Log(context, context.Message.OperationId);
    public Task Consume(ConsumeContext<DeprovisionServer> context) => Log(context, context.Message.OperationId);
    public Task Consume(ConsumeContext<DeprovisionStorage> context) => Log(context, context.Message.OperationId);
    public Task Consume(ConsumeContext<CompleteOperation> context) => Log(context, context.Message.OperationId);
    public Task Consume(ConsumeContext<FailOperation> context) => Log(context, context.Message.OperationId);

    private Task Log<T>(ConsumeContext<T> context, Guid operationId) where T : class
    {
        log.Add(typeof(T), operationId, context.MessageId!.Value);
        return Task.CompletedTask;
    }
}
