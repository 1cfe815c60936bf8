using RunnerHost.Hosting.Composition;

namespace RunnerHost.Hosting.Processes;

/// <summary>Stop requests arriving before the runner exists are kept for it; the stop token ends a wait for the slice lock.</summary>
// The stop source is never disposed: a signal handler or the stdin watch may fire at any moment until
// the process exits, and a source without a timer holds nothing that needs disposing.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A CancellationTokenSource without a timer holds nothing that needs disposing.")]
internal sealed class RunnerSession
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private ReloadingRunner? _runner;
    private bool _stopRequested;

    public bool StopRequested
    {
        get
        {
            lock (_gate)
            {
                return _stopRequested;
            }
        }
    }

    public CancellationToken StopToken => _stop.Token;

    public void Attach(ReloadingRunner runner)
    {
        lock (_gate)
        {
            _runner = runner;
            if (_stopRequested)
            {
                runner.RequestStop();
            }
        }
    }

    public void RequestStop()
    {
        lock (_gate)
        {
            _stopRequested = true;
            _runner?.RequestStop();
        }

        _stop.Cancel();
    }
}
