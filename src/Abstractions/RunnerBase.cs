using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Events;
using RunnerHost.Inspection;
using RunnerHost.Lists;
using RunnerHost.Queues;

namespace RunnerHost;

/// <summary>
/// What every runner has, whatever it does: its name and slice, its settings, the queues, the lists and
/// the host's services, and a graceful stop. Derive from <see cref="Runner"/> for a queue runner or from
/// <see cref="ServiceRunner"/> for a runner without a queue (a server); the host runs both.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A CancellationTokenSource without a timer holds nothing that needs disposing.")]
public abstract class RunnerBase
{
    private readonly RunnerContext _context;
    // Cancelled once by Stop() to wake a sleeping runner; never reset, because a stop is final.
    private readonly CancellationTokenSource _stopSignal = new();
    private volatile bool _stopRequested;

    // Internal: only the two runner kinds below derive from it.
    private protected RunnerBase(RunnerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
    }

    /// <summary>The runner name (the <c>[runner.NAME]</c> suffix).</summary>
    public string Name => _context.Settings.Name;

    /// <summary>This instance's slice, 0-based.</summary>
    public int Slice => _context.Slice;

    /// <summary>The number of slices.</summary>
    public int SliceCount => _context.SliceCount;

    /// <summary>The runner's settings.</summary>
    public RunnerSettings Settings => _context.Settings;

    /// <summary>The slice as the logs show it, e.g. <c>in:0/1</c>.</summary>
    public string Identity => $"{Name}:{Slice}/{SliceCount}";

    /// <summary>True once <see cref="Stop"/> was called.</summary>
    public bool IsStopping => _stopRequested;

    /// <summary>Every configured queue, to enqueue into.</summary>
    protected IQueueRegistry Queues => _context.Queues;

    /// <summary>What operators see of the queues (summaries, listings, entries, actions).</summary>
    protected IQueueInspector Inspector => _context.Inspector;

    /// <summary>The mailing lists.</summary>
    protected IListManager Lists => _context.Lists;

    /// <summary>The logger of this runner slice.</summary>
    protected ILogger Logger => _context.Logger;

    /// <summary>The clock.</summary>
    protected TimeProvider Clock => _context.Clock;

    /// <summary>Process-wide runner events.</summary>
    protected IRunnerEvents Events => _context.Events;

    /// <summary>Cancelled by <see cref="Stop"/>: wakes a sleeping runner.</summary>
    internal CancellationToken StopToken => _stopSignal.Token;

    /// <summary>Asks the runner to stop after the message in hand (a server: to stop serving); wakes a sleeping runner. Safe from any thread, idempotent.</summary>
    public void Stop()
    {
        _stopRequested = true;
        _stopSignal.Cancel();
    }
}
