using Microsoft.Extensions.Logging;
using RunnerHost.Host.Queues;

namespace RunnerHost.Host.Diagnostics;

/// <summary>
/// Writes a process's counters as Prometheus text to <c>$var_dir/metrics/&lt;name&gt;.prom</c> every
/// <see cref="Interval"/> and at exit (write then rename: readers never see half a file), for
/// <c>runner-host metrics</c> to aggregate. The master can use it for its own meter (restarts, state).
/// </summary>
public sealed class MetricsFileWriter : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly PrometheusExport _export;
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
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

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await WriteAsync(CancellationToken.None).ConfigureAwait(false);
        _export.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
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
            DurableFiles.EnsureDirectory(Path.GetDirectoryName(_path)!);
            DurableFiles.Publish(_path + ".tmp", _path, System.Text.Encoding.UTF8.GetBytes(text), fsync: false, replaceExisting: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Cannot write metrics to {Path}: {Error}", _path, ex.Message);
        }
    }
}
