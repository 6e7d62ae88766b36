using System.Collections.Concurrent;
using EventSourced.TestSupport;
using JasperFx.Events.Daemon;
using JasperFx.Events.Subscriptions;
using Marten;
using Marten.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Tests.Bus;

/// <summary>A broker process reduced to its outbox: Marten's async daemon (Solo) running one subscription on the log.</summary>
internal sealed class ForwarderHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private ForwarderHost(IHost host, LogRecorder log)
    {
        _host = host;
        Log = log;
    }

    /// <summary>Warnings and errors this process logged (the daemon's account of a failed page).</summary>
    public LogRecorder Log { get; }

    public static async Task<ForwarderHost> Start(PostgresDatabase database, ISubscription subscription, Action<ISubscriptionOptions>? configure = null)
    {
        var log = new LogRecorder();
        var builder = Host.CreateApplicationBuilder();
        // Hosts started from one test process share a logger factory that is never disposed: each gets its own.
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(new LoggerFactory([log])));
        builder.Services.AddMarten(options =>
            {
                ParcelLog.Configure(options, database);
                options.Events.Subscribe(subscription, configure ?? (_ => { }));
            })
            .AddAsyncDaemon(DaemonMode.Solo);
        var host = builder.Build();
        await host.StartAsync();
        return new ForwarderHost(host, log);
    }

    /// <summary>The process goes away: the daemon stops wherever it is.</summary>
    public async Task Stop()
    {
        if (_stopped) return;
        _stopped = true;
        await _host.StopAsync();
        _host.Dispose();
    }

    public async ValueTask DisposeAsync() => await Stop();
}

internal sealed class LogRecorder : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    public void Dispose() { }

    private sealed class Recorder(LogRecorder owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var error = exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]";
            owner._lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{error}");
        }
    }
}
