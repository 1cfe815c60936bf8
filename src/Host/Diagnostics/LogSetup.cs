using System.Globalization;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Configuration;
using Serilog;
using Serilog.Events;

namespace RunnerHost.Hosting.Diagnostics;

/// <summary>
/// The process's logging: Serilog behind Microsoft.Extensions.Logging, to <c>$log_dir/runner-host.log</c>
/// (reopened on SIGHUP by the process's one signal handler, see <see cref="Supervision.ProcessSignals"/>; created
/// 0640) and to stderr. Every line names the runner slice or command and the pid. Configuration warnings
/// (<see cref="HostConfiguration.LogCategory"/>) pass at any minimum level. The same setup feeds a Generic Host's
/// logging builder (<see cref="AddTo"/>) and a command's own factory (<see cref="LoggerFactory"/>).
/// </summary>
public sealed class LogSetup : IDisposable
{
    /// <summary>The log file name under <c>log_dir</c>; all processes of a host append to it.</summary>
    public const string FileName = "runner-host.log";

    public const string Template =
        "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} {Level:u3} {Source}[{ProcessId}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    private readonly Serilog.Core.Logger _logger;
    private readonly LogLevel _minimumLevel;
    private readonly Lazy<ILoggerFactory> _loggerFactory;

    /// <param name="logDirectory">The directory of the log file; null logs to stderr only (a reading command where the file cannot be written).</param>
    /// <param name="minimumLevel">The least level logged (configuration warnings excepted).</param>
    /// <param name="identity">What every line names.</param>
    /// <param name="console">Whether to log to stderr as well.</param>
    public LogSetup(string? logDirectory, LogLevel minimumLevel, LogIdentity identity, bool console = true)
    {
        ArgumentNullException.ThrowIfNull(identity);
        FileSink = logDirectory is null ? null : new ReopenableFileSink(System.IO.Path.Combine(logDirectory, FileName), Template);
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(ToSerilog(minimumLevel < LogLevel.Warning ? minimumLevel : LogLevel.Warning))
            .Enrich.WithProperty("Source", identity.Source)
            .Enrich.WithProperty("ProcessId", identity.ProcessId)
            .Enrich.WithProperty("SourceContext", "RunnerHost");
        if (FileSink is not null)
        {
            configuration = configuration.WriteTo.Sink(FileSink);
        }

        if (identity.Runner is not null)
        {
            configuration = configuration.Enrich.WithProperty("Runner", identity.Runner).Enrich.WithProperty("Slice", identity.Slice);
        }

        if (console)
        {
            // stderr: stdout is reserved for command output.
            configuration = configuration.WriteTo.Console(
                outputTemplate: Template, standardErrorFromLevel: LogEventLevel.Verbose, formatProvider: CultureInfo.InvariantCulture);
        }

        _logger = configuration.CreateLogger();
        _minimumLevel = minimumLevel;
        _loggerFactory = new Lazy<ILoggerFactory>(() => Microsoft.Extensions.Logging.LoggerFactory.Create(AddTo));
    }

    /// <summary>A factory of this setup's own, for processes without a Generic Host (commands, the master).</summary>
    public ILoggerFactory LoggerFactory => _loggerFactory.Value;

    /// <summary>Adds this setup to a logging builder: the minimum level, the configuration-warnings exception, Serilog.</summary>
    public void AddTo(ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        // Serilog passes warnings and above; these filters apply the minimum level, except to configuration warnings.
        logging
            .SetMinimumLevel(_minimumLevel)
            .AddFilter(HostConfiguration.LogCategory, _minimumLevel < LogLevel.Warning ? _minimumLevel : LogLevel.Warning)
            .AddSerilog(_logger, dispose: false);
    }

    /// <summary>The log file, or null when this process logs to stderr only.</summary>
    public ReopenableFileSink? FileSink { get; }

    /// <summary>Reopens the log file (after logrotate moved it; SIGHUP, <c>runner-host reopen</c>).</summary>
    public void Reopen()
    {
        if (FileSink is { } sink)
        {
            sink.Reopen();
            _logger.ForContext("SourceContext", "RunnerHost.Logging").Information("Reopened log file {Path} on SIGHUP", sink.Path);
        }
    }

    public void Dispose()
    {
        if (_loggerFactory.IsValueCreated)
        {
            _loggerFactory.Value.Dispose();
        }

        _logger.Dispose();
        FileSink?.Dispose();
    }

    private static LogEventLevel ToSerilog(LogLevel level) => level switch
    {
        LogLevel.Trace => LogEventLevel.Verbose,
        LogLevel.Debug => LogEventLevel.Debug,
        LogLevel.Information => LogEventLevel.Information,
        LogLevel.Warning => LogEventLevel.Warning,
        LogLevel.Error => LogEventLevel.Error,
        _ => LogEventLevel.Fatal,
    };
}
