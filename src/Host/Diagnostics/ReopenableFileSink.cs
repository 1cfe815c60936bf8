using System.Globalization;
using RunnerHost.Hosting.Configuration;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace RunnerHost.Hosting.Diagnostics;

/// <summary>
/// A Serilog file sink that can be closed and reopened at the same path (on SIGHUP), so logrotate
/// can rename the file and the next line starts a new one: no copytruncate needed.
/// </summary>
public sealed class ReopenableFileSink : ILogEventSink, IDisposable
{
    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly string _template;
    private Logger? _file;
    private bool _disposed;

    public ReopenableFileSink(string path, string outputTemplate)
    {
        _path = path;
        _template = outputTemplate;
        _file = Open();
    }

    public string Path => _path;

    public void Emit(LogEvent logEvent)
    {
        lock (_lock)
        {
            _file?.Write(logEvent);
        }
    }

    /// <summary>Closes the current file and opens <see cref="Path"/> again (a new file when the old one was renamed).</summary>
    public void Reopen()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _file?.Dispose();
            _file = Open();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _file?.Dispose();
            _file = null;
        }
    }

    // shared: several runner processes append to one file; each write is one append.
    private Logger Open()
    {
        // Serilog would create the file with the umask's mode; created here first, it is 0640 whatever the umask.
        try
        {
            HostDirectories.CreateFile(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Serilog reports the same failure on its own channel; a log file must never stop the process.
        }

        return new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.File(_path, outputTemplate: _template, shared: true, formatProvider: CultureInfo.InvariantCulture)
            .CreateLogger();
    }
}
