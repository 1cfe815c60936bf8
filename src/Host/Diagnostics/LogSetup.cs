using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using RunnerHost.Host.Configuration;
using Serilog;
using Serilog.Events;

namespace RunnerHost.Host.Diagnostics;

/// <summary>
/// The process's logging: Serilog behind Microsoft.Extensions.Logging, to <c>$log_dir/runner-host.log</c>
/// (reopened on SIGHUP; created 0640) and to stderr. Every line names the runner slice or command and the pid.
/// Configuration warnings (<see cref="HostConfiguration.LogCategory"/>) pass at any minimum level.
/// </summary>
public sealed class LogSetup : IDisposable
{
    /// <summary>The log file name under <c>log_dir</c>; all processes of a host append to it.</summary>
    public const string FileName = "runner-host.log";

    public const string Template =
        "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} {Level:u3} {Source}[{ProcessId}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    private readonly PosixSignalRegistration? _onHangup;

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

        var logger = configuration.CreateLogger();
        // Serilog passes warnings and above; these filters apply the minimum level, except to configuration warnings.
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(logging => logging
            .SetMinimumLevel(minimumLevel)
            .AddFilter(HostConfiguration.LogCategory, minimumLevel < LogLevel.Warning ? minimumLevel : LogLevel.Warning)
            .AddSerilog(logger, dispose: true));
        if (!OperatingSystem.IsWindows())
        {
            _onHangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangup);
        }
    }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The log file, or null when this process logs to stderr only.</summary>
    public ReopenableFileSink? FileSink { get; }

    public void Dispose()
    {
        _onHangup?.Dispose();
        LoggerFactory.Dispose();
        FileSink?.Dispose();
    }

    private void OnHangup(PosixSignalContext context)
    {
        // SIGHUP means "reopen the logs" (logrotate, runner-host reopen), never "exit".
        context.Cancel = true;
        if (FileSink is { } sink)
        {
            sink.Reopen();
            LoggerFactory.CreateLogger("RunnerHost.Logging").LogInformation("Reopened log file {Path} on SIGHUP", sink.Path);
        }
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
