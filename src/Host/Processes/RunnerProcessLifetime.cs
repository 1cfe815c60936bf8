using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Diagnostics;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Processes;

/// <summary>
/// A runner process's lifetime, in place of the Generic Host's console lifetime: its one signal handler.
/// TERM and INT stop the host (a graceful stop, bounded by the host's shutdown timeout, which is
/// <c>stop_timeout</c>); HUP, which the master forwards, reopens the log file and never ends the process.
/// The console lifetime would also take QUIT and print its banner to the master's log.
/// </summary>
internal sealed class RunnerProcessLifetime(IHostApplicationLifetime application, LogSetup logging, RunnerSliceRequest request, ILogger<RunnerProcessLifetime> logger)
    : IHostLifetime, IDisposable
{
    private ProcessSignals? _signals;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _signals = new ProcessSignals(
            onStop: signal =>
            {
                logger.LogInformation("{Runner} caught {Signal}; stopping (grace {Timeout})", request.Settings.Name, signal, request.StopTimeout);
                application.StopApplication();
            },
            onHangup: () =>
            {
                logger.LogInformation("{Runner} caught SIGHUP; reopening logs", request.Settings.Name);
                logging.Reopen();
            });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _signals?.Dispose();
}
