using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Events;
using RunnerHost.Host.Configuration;
using RunnerHost.Host.Diagnostics;
using RunnerHost.Host.Events;
using RunnerHost.Host.Operations;
using RunnerHost.Host.Queues;
using RunnerHost.Lists;
using RunnerHost.Operations;
using RunnerHost.Queues;

namespace RunnerHost.Host.Composition;

/// <summary>
/// The services one host process shares between its runners: the queue registry, the list manager,
/// runner events, the wake-up notifier, and the operations plugins may ask for (shunt replay, metrics). Runner contexts are made here so that every runner slice
/// sees the same instances.
/// </summary>
public sealed class HostServices : IDisposable
{
    // The sliced switchboard of each context made here, by the context handed out, until released.
    private readonly Dictionary<RunnerContext, FileSwitchboard> _sliceSwitchboards = new(ReferenceEqualityComparer.Instance);
    private readonly SwitchboardRegistry _queues;
    private readonly ShuntReplayService _shuntReplay;
    private IListManager? _lists;

    public HostServices(HostConfiguration configuration, ILoggerFactory loggerFactory, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        Configuration = configuration;
        LoggerFactory = loggerFactory;
        Clock = clock ?? TimeProvider.System;
        Notifier = new QueueNotifier();
        Events = new RunnerEvents(loggerFactory.CreateLogger<RunnerEvents>());
        _queues = new SwitchboardRegistry(
            configuration.Runners.Where(r => r.QueuePath is not null).Select(r => QueueOptions(r, slice: 0, sliceCount: 1)),
            loggerFactory,
            Clock,
            Notifier);
        _shuntReplay = new ShuntReplayService(_queues, Clock, loggerFactory);
        Metrics = new HostMetricsExporter(configuration, Clock);
    }

    public HostConfiguration Configuration { get; }

    public ILoggerFactory LoggerFactory { get; }

    public TimeProvider Clock { get; }

    public QueueNotifier Notifier { get; }

    public IRunnerEvents Events { get; }

    public ISwitchboardRegistry Queues => _queues;

    /// <summary>The <c>unshunt</c> command's replay as a service (one replay at a time in this process).</summary>
    public IShuntReplay ShuntReplay => _shuntReplay;

    /// <summary>What <c>runner-host metrics</c> prints, as a service.</summary>
    public IMetricsExporter Metrics { get; }

    /// <summary>The lists: the configured <c>[list.NAME]</c> sections, or a plugin's manager once <see cref="UseListManager"/> was called.</summary>
    public IListManager Lists => _lists ?? Configuration.Lists;

    /// <summary>Replaces the list manager; call before creating runner contexts.</summary>
    public void UseListManager(IListManager lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        _lists = lists;
    }

    /// <summary>Applied to every runner context made here; the command environment sets it to attach metrics (src/Host/Diagnostics).</summary>
    public Func<RunnerContext, RunnerContext>? ContextDecorator { get; set; }

    /// <summary>The directory preserved entries go to: the <c>bad</c> queue's path.</summary>
    public string BadDirectory => QueueDirectory(QueueNames.Bad);

    /// <summary>The directory shunted entries go to: the <c>shunt</c> queue's path.</summary>
    public string ShuntDirectory => QueueDirectory(QueueNames.Shunt);

    /// <summary>Builds the context of one runner slice, with its own sliced switchboard when the runner has a queue.</summary>
    public RunnerContext CreateContext(RunnerSettings settings, int slice = 0, int sliceCount = 1)
    {
        ArgumentNullException.ThrowIfNull(settings);
        FileSwitchboard? switchboard = null;
        if (settings.QueuePath is not null)
        {
            switchboard = new FileSwitchboard(QueueOptions(settings, slice, sliceCount), LoggerFactory.CreateLogger<FileSwitchboard>(), Clock, Notifier);
        }

        var context = new RunnerContext
        {
            Settings = settings,
            Slice = slice,
            SliceCount = sliceCount,
            Switchboard = switchboard,
            Queues = Queues,
            Lists = Lists,
            Events = Events,
            Logger = LoggerFactory.CreateLogger($"RunnerHost.Runner.{settings.Name}"),
            Clock = Clock,
        };
        var made = ContextDecorator is { } decorate ? decorate(context) : context;
        if (switchboard is not null)
        {
            lock (_sliceSwitchboards)
            {
                _sliceSwitchboards.Add(made, switchboard);
            }
        }

        return made;
    }

    /// <summary>Disposes the sliced switchboard of a context made by <see cref="CreateContext"/> once its runner is gone.</summary>
    public void ReleaseContext(RunnerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        FileSwitchboard? switchboard;
        lock (_sliceSwitchboards)
        {
            _sliceSwitchboards.Remove(context, out switchboard);
        }

        switchboard?.Dispose();
    }

    public void Dispose()
    {
        lock (_sliceSwitchboards)
        {
            foreach (var switchboard in _sliceSwitchboards.Values)
            {
                switchboard.Dispose();
            }

            _sliceSwitchboards.Clear();
        }

        _queues.Dispose();
        _shuntReplay.Dispose();
    }

    private FileSwitchboardOptions QueueOptions(RunnerSettings settings, int slice, int sliceCount) => new()
    {
        Name = settings.Name,
        Directory = settings.QueuePath!,
        BadDirectory = BadDirectory,
        Slice = slice,
        SliceCount = sliceCount,
        Fsync = settings.Fsync,
    };

    // A configured [runner.NAME] section may move the queue; otherwise it lives under queue_dir.
    private string QueueDirectory(string name) => Configuration.TryGetRunner(name, out var runner) && runner.QueuePath is { } path
        ? path
        : Path.Combine(Configuration.Paths.QueueDir, name);
}
