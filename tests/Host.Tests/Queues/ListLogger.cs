using Microsoft.Extensions.Logging;

namespace RunnerHost.Host.Tests.Queues;

/// <summary>One captured log line.</summary>
internal sealed record LogLine(LogLevel Level, string Message, Exception? Exception);

/// <summary>An ILogger that keeps every line, so tests can assert what was logged.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<LogLine> _lines = [];

    public IReadOnlyList<LogLine> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        lock (_lock)
        {
            _lines.Add(new LogLine(logLevel, formatter(state, exception), exception));
        }
    }
}
