using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RunnerHost.Hosting.Tests.Support;

/// <summary>Captures log lines (level, formatted message, exception) so tests can assert on them.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new ListLogger(categoryName, _lines);

    public IEnumerable<string> Messages(LogLevel atLeast = LogLevel.Trace) =>
        Lines.Where(l => l.Level >= atLeast).Select(l => l.Message);

    public void Dispose()
    {
    }

    private sealed class ListLogger(string category, ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), exception));
    }
}

internal sealed record LogLine(string Category, LogLevel Level, string Message, Exception? Exception);
