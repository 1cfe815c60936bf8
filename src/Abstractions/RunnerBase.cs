using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Events;
using RunnerHost.Inspection;
using RunnerHost.Lists;
using RunnerHost.Queues;
using RunnerHost.Scheduling;

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
    private readonly Dictionary<string, IntervalSchedule> _schedules = new(StringComparer.Ordinal);

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

    /// <summary>
    /// The schedule of periodic work named <paramref name="name"/>, for a periodic hook:
    /// <c>await Every(TimeSpan.FromHours(1), "digest").RunIfDueAsync(SendDigestAsync, cancellationToken)</c>.
    /// Each slice has its own; the host remembers its last run across restarts under the runner's
    /// <see cref="RunnerContext.StateDirectory"/>. The same name returns the same schedule (with the
    /// interval of the latest call).
    /// </summary>
    /// <param name="interval">The least time between the starts of two runs; more than zero.</param>
    /// <param name="name">Names the work: letters, digits, '-' and '_', at most 64.</param>
    /// <returns>The schedule.</returns>
    protected IntervalSchedule Every(TimeSpan interval, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"'{name}' is not a schedule name: use letters, digits, '-' and '_', at most 64.", nameof(name));
        }

        if (_schedules.TryGetValue(name, out var schedule))
        {
            schedule.Interval = interval;
            return schedule;
        }

        string? stamp = _context.StateDirectory is { } directory
            ? Path.Combine(directory, $"{name}.slice{Slice}of{SliceCount}.stamp")
            : null;
        schedule = new IntervalSchedule(interval, Clock, stamp, Logger);
        _schedules.Add(name, schedule);
        return schedule;
    }

    /// <summary>Cancelled by <see cref="Stop"/>: wakes a sleeping runner.</summary>
    internal CancellationToken StopToken => _stopSignal.Token;

    /// <summary>Asks the runner to stop after the message in hand (a server: to stop serving); wakes a sleeping runner. Safe from any thread, idempotent.</summary>
    public void Stop()
    {
        _stopRequested = true;
        _stopSignal.Cancel();
    }
}
