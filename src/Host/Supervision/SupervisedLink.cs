using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Plugins;

using RunnerHost.Hosting.Engine;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// The child side of supervision (<c>runner --supervised</c>): heartbeats as JSON lines on stdout,
/// and a watch on stdin, a pipe the master holds open and never writes to. EOF on it means the master
/// is gone (the kernel closes the pipe on any death, SIGKILL included), so the child stops gracefully.
/// PR_SET_PDEATHSIG is not used: it fires when the forking thread exits, which in .NET is arbitrary.
/// </summary>
public sealed class SupervisedLink : IAsyncDisposable
{
    private readonly Func<IRunningRunner?> _currentRunner;
    private readonly Stream _stdout;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _beats;

    private SupervisedLink(Func<IRunningRunner?> currentRunner, Action onMasterGone, ILogger logger, TimeSpan interval)
    {
        _currentRunner = currentRunner;
        _stdout = Console.OpenStandardOutput();
        _beats = BeatAsync(interval, _stop.Token);
        var watcher = new Thread(() => WatchStdin(onMasterGone, logger)) { IsBackground = true, Name = "master watch" };
        watcher.Start();
    }

    /// <summary>Starts the heartbeats (of whichever runner incarnation is current: a plugin reload replaces it) and the stdin watch.</summary>
    public static SupervisedLink Start(Func<IRunningRunner?> currentRunner, Action onMasterGone, ILogger logger, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(currentRunner);
        ArgumentNullException.ThrowIfNull(onMasterGone);
        ArgumentNullException.ThrowIfNull(logger);
        return new SupervisedLink(currentRunner, onMasterGone, logger, interval);
    }

    /// <summary>Tells the master the runner is created and running (after a plugin reload too).</summary>
    public void ReportReady() => Write(new HeartbeatLine(HeartbeatLine.Ready));

    /// <summary>Tells the master which plugin version runs and how its last reload went (for <c>status</c>).</summary>
    public void ReportPlugin(PluginRunState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Write(new HeartbeatLine(HeartbeatLine.PluginState, Plugin: state.Plugin, Version: state.Version, Error: state.ReloadError));
    }

    /// <summary>Tells the master the slice waits for its previous instance, <paramref name="holderPid"/>, to release the slice lock.</summary>
    public void ReportWaiting(int? holderPid, string? reason = null) => Write(new HeartbeatLine(HeartbeatLine.Waiting, Holder: holderPid, Reason: reason));

    /// <summary>
    /// Tells the master, in one line on stdout, why this child cannot start, just before it exits 3 or 4
    /// (the child's stderr is the master's, but the master does not read it). Called after the link is gone.
    /// </summary>
    public static void ReportCannotStart(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var bytes = System.Text.Encoding.UTF8.GetBytes(new HeartbeatLine(HeartbeatLine.Failed, Reason: FailureText.OneLine(reason)).ToJson() + "\n");
        try
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(bytes);
            stdout.Flush();
        }
        catch (IOException)
        {
            // The master is gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _beats.ConfigureAwait(false);
        _stop.Dispose();
        await _stdout.DisposeAsync().ConfigureAwait(false);
    }

    private static void WatchStdin(Action onMasterGone, ILogger logger)
    {
        var buffer = new byte[256];
        try
        {
            using var stdin = Console.OpenStandardInput();
            while (stdin.Read(buffer, 0, buffer.Length) > 0)
            {
                // The master never writes; anything read is ignored.
            }
        }
        catch (IOException)
        {
            // A broken pipe is as good as EOF.
        }

        logger.LogWarning("The master is gone (stdin closed); stopping");
        onMasterGone();
    }

    private async Task BeatAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_currentRunner() is not { } runner)
                {
                    continue;
                }

                var inFlight = runner.InFlight;
                Write(new HeartbeatLine(HeartbeatLine.Beat, runner.LastLoop, inFlight?.Id, inFlight?.Since));
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private void Write(HeartbeatLine line)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(line.ToJson() + "\n");
        lock (_stdout)
        {
            try
            {
                _stdout.Write(bytes);
                _stdout.Flush();
            }
            catch (IOException)
            {
                // The master is gone; the stdin watch stops us.
            }
        }
    }
}
