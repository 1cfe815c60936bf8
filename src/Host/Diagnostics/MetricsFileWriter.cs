using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Queues;


using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Diagnostics;

/// <summary>
/// Writes a process's counters as Prometheus text to <c>$var_dir/metrics/&lt;name&gt;.prom</c> every
/// <see cref="Interval"/>, on <see cref="RequestWrite"/> and at exit (write then rename: readers never
/// see half a file), for <c>runner-host metrics</c> to aggregate. The master uses it for its own meter
/// (restarts, state) and requests a write on every state change.
/// </summary>
public sealed class MetricsFileWriter : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly PrometheusExport _export;
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _requested = new(0);
    private readonly Task _loop;

    public MetricsFileWriter(string path, ILogger logger, params string[] meterNames)
    {
        _path = path;
        _logger = logger;
        _export = new PrometheusExport(meterNames);
        _loop = RunAsync(_stop.Token);
    }

    /// <summary>The directory the files go to.</summary>
    public static string DirectoryOf(string varDirectory) => Path.Combine(varDirectory, "metrics");

    /// <summary>Asks for a write now rather than at the next interval; a burst of requests makes one write.</summary>
    public void RequestWrite()
    {
        if (_requested.CurrentCount == 0)
        {
            _requested.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await WriteAsync(CancellationToken.None).ConfigureAwait(false);
        _export.Dispose();
        _stop.Dispose();
        _requested.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // Either the interval passed or a write was requested: both mean "write now".
                await _requested.WaitAsync(Interval, cancellationToken).ConfigureAwait(false);
                await WriteAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping; DisposeAsync writes the last values.
        }
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        try
        {
            string text = await _export.CollectAsync(cancellationToken).ConfigureAwait(false);
            string directory = Path.GetDirectoryName(_path)!;
            if (!Directory.Exists(directory))
            {
                HostDirectories.CreateDirectory(directory);
            }

            DurableFiles.Publish(_path + ".tmp", _path, System.Text.Encoding.UTF8.GetBytes(text), fsync: false, replaceExisting: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Cannot write metrics to {Path}: {Error}", _path, ex.Message);
        }
    }
}
