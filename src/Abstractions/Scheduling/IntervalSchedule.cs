using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RunnerHost.Scheduling;

/// <summary>
/// Says when periodic work is due: at most once per <see cref="Interval"/>, remembered across restarts
/// in a stamp file when one is given. Get one with <see cref="RunnerBase.Every"/> and call
/// <see cref="RunIfDueAsync"/> from a periodic hook; the work runs at once the first time, then once per
/// interval measured from the start of the previous successful run.
/// </summary>
/// <remarks>
/// <para>A run that throws is not recorded: the work is due again after <see cref="RetryAfterFailure"/>
/// (at most the interval), not on every call of the hook, and the exception reaches the caller.</para>
/// <para>The stamp file holds one ISO 8601 time. A stamp that cannot be read, or that lies in the
/// future (a clock set back, a hand edit), is logged once and counts as "never run": the work runs
/// again rather than never. The stamp is written without a flush to disk, so after a power cut the
/// work may run once more. Not safe for concurrent use: one schedule belongs to one runner slice.</para>
/// </remarks>
public sealed class IntervalSchedule
{
    /// <summary>The longest pause after a failed run.</summary>
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);

    // A stamp is a single short line; anything longer is not a stamp.
    private const int MaxStampLength = 64;
    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _clock;
    private readonly string? _stampFile;
    private readonly ILogger _logger;
    private DateTimeOffset? _lastRun;
    private DateTimeOffset? _retryAt;
    private TimeSpan _interval;

    /// <summary>Creates a schedule.</summary>
    /// <param name="interval">The least time between the starts of two runs; more than zero.</param>
    /// <param name="clock">The clock.</param>
    /// <param name="stampFile">Where the last run is remembered across restarts; null keeps it in memory.</param>
    /// <param name="logger">Where a stamp that cannot be read or written is reported.</param>
    public IntervalSchedule(TimeSpan interval, TimeProvider clock, string? stampFile = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _interval = interval;
        _clock = clock;
        _stampFile = stampFile;
        _logger = logger ?? NullLogger.Instance;
        _lastRun = ReadStamp();
    }

    /// <summary>The least time between the starts of two runs.</summary>
    public TimeSpan Interval
    {
        get => _interval;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _interval = value;
        }
    }

    /// <summary>When the last successful run started, or null when the work never ran.</summary>
    public DateTimeOffset? LastRun => _lastRun;

    /// <summary>When the work is next due (now or earlier when it is due).</summary>
    public DateTimeOffset NextDue
    {
        get
        {
            var due = _lastRun is { } last ? last + _interval : DateTimeOffset.MinValue;
            return _retryAt is { } retry && retry > due ? retry : due;
        }
    }

    /// <summary>True when the work is due now.</summary>
    public bool IsDue => _clock.GetUtcNow() >= NextDue;

    /// <summary>Runs <paramref name="work"/> when it is due and records the run when it completes.</summary>
    /// <param name="work">The periodic work; its exceptions reach the caller and the run is not recorded.</param>
    /// <param name="cancellationToken">Passed to the work.</param>
    /// <returns>True when the work ran (and completed), false when it was not due.</returns>
    public async Task<bool> RunIfDueAsync(Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var started = _clock.GetUtcNow();
        if (started < NextDue)
        {
            return false;
        }

        try
        {
            await work(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _retryAt = started + (_interval < RetryAfterFailure ? _interval : RetryAfterFailure);
            throw;
        }

        MarkRun(started);
        return true;
    }

    /// <summary>Records a run that started at <paramref name="started"/> (now when null), as <see cref="RunIfDueAsync"/> does.</summary>
    /// <param name="started">When the run started.</param>
    public void MarkRun(DateTimeOffset? started = null)
    {
        _lastRun = started ?? _clock.GetUtcNow();
        _retryAt = null;
        WriteStamp(_lastRun.Value);
    }

    private DateTimeOffset? ReadStamp()
    {
        if (_stampFile is null || !File.Exists(_stampFile))
        {
            return null;
        }

        string text;
        try
        {
            using var reader = new StreamReader(_stampFile);
            var buffer = new char[MaxStampLength + 1];
            int length = reader.ReadBlock(buffer, 0, buffer.Length);
            text = new string(buffer, 0, length).Trim();
            if (length > MaxStampLength)
            {
                return Unreadable($"longer than {MaxStampLength} characters");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Unreadable(ex.Message);
        }

        if (!DateTimeOffset.TryParseExact(text, "o", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var stamp))
        {
            return Unreadable($"'{text}' is not an ISO 8601 time");
        }

        var now = _clock.GetUtcNow();
        return stamp > now + ClockSkewAllowance
            ? Unreadable($"{stamp:o} is later than now ({now:o})")
            : stamp;
    }

    private DateTimeOffset? Unreadable(string cause)
    {
        _logger.LogWarning("Stamp file {StampFile} ignored ({Cause}); the periodic work is due now.", _stampFile, cause);
        return null;
    }

    private void WriteStamp(DateTimeOffset started)
    {
        if (_stampFile is null)
        {
            return;
        }

        // Written beside and renamed over, so a crash mid-write never leaves half a stamp.
        string temporary = _stampFile + ".tmp";
        try
        {
            if (Path.GetDirectoryName(_stampFile) is { Length: > 0 } directory)
            {
                Directory.CreateDirectory(directory);
            }

            File.WriteAllText(temporary, started.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture) + "\n");
            File.Move(temporary, _stampFile, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Cannot write stamp file {StampFile} ({Cause}); the last run is remembered until the runner stops.", _stampFile, ex.Message);
        }
    }
}
