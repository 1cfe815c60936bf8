using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Inspection;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>The file back end: every queue a directory on this machine (docs/queue-format.md).</summary>
public sealed class FileQueueBackend : IQueueBackend
{
    private readonly HostConfiguration _configuration;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _clock;
    private readonly SwitchboardRegistry _queues;

    public FileQueueBackend(HostConfiguration configuration, ILoggerFactory loggerFactory, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _configuration = configuration;
        _loggerFactory = loggerFactory;
        _clock = clock;
        Notifier = new QueueNotifier();
        var queued = configuration.Runners.Where(r => r.QueuePath is not null).ToList();
        _queues = new SwitchboardRegistry(queued.Select(r => Options(r, 0, 1)), loggerFactory, clock, Notifier);
        Inspector = new FileQueueInspector(queued.Select(r => new FileQueueLayout(r.Name, r.QueuePath!, r.Instances)), _queues, clock);
    }

    /// <summary>In-process wake-ups between the switchboards of this process.</summary>
    public QueueNotifier Notifier { get; }

    /// <inheritdoc/>
    public IQueueRegistry Queues => _queues;

    /// <summary>The unsliced switchboards, for the file back end's own tools and tests.</summary>
    public SwitchboardRegistry Switchboards => _queues;

    /// <inheritdoc/>
    public IQueueInspector Inspector { get; }

    /// <summary>The directory preserved entries go to: the <c>bad</c> queue's path.</summary>
    public string BadDirectory => DirectoryOf(QueueNames.Bad);

    /// <summary>Where versions before contract 2 kept the unshunt journal: in the shunt queue's directory (still read, never written).</summary>
    public string EarlierReplayJournal => Path.Combine(DirectoryOf(QueueNames.Shunt), QueueDirectoryScan.ReplayJournalName);

    /// <summary>The directory of a queue: its section's <c>path</c>, else <c>queue_dir/NAME</c>.</summary>
    public string DirectoryOf(string name) => _configuration.TryGetRunner(name, out var runner) && runner.QueuePath is { } path
        ? path
        : Path.Combine(_configuration.Paths.QueueDir, name);

    /// <inheritdoc/>
    public async Task<IOwnedQueueSlice> OpenSliceAsync(RunnerSettings settings, int slice, int sliceCount, SliceHooks? hooks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.QueuePath is null)
        {
            throw new InvalidOperationException($"[runner.{settings.Name}] has no queue (its path is empty).");
        }

        var switchboard = OpenSwitchboard(settings, slice, sliceCount);
        try
        {
            return await FileQueueSlice.OpenAsync(switchboard, _queues, _loggerFactory.CreateLogger($"RunnerHost.Queues.{settings.Name}"), _clock, hooks?.PreservedDamaged, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            switchboard.Dispose();
            throw;
        }
    }

    /// <summary>A sliced switchboard of a runner's queue (tools and tests; runners get slices).</summary>
    public FileSwitchboard OpenSwitchboard(RunnerSettings settings, int slice, int sliceCount) =>
        new(Options(settings, slice, sliceCount), _loggerFactory.CreateLogger<FileSwitchboard>(), _clock, Notifier);

    public void Dispose() => _queues.Dispose();

    private FileSwitchboardOptions Options(RunnerSettings settings, int slice, int sliceCount) => new()
    {
        Name = settings.Name,
        Directory = settings.QueuePath!,
        BadDirectory = BadDirectory,
        Slice = slice,
        SliceCount = sliceCount,
        Fsync = settings.Fsync,
        Commit = _configuration.QueueBackend.Commit,
    };
}
