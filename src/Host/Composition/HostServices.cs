using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Events;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Diagnostics;
using RunnerHost.Hosting.Diagnostics.Tracing;
using RunnerHost.Hosting.Events;
using RunnerHost.Hosting.Operations;
using RunnerHost.Hosting.Engine;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Queues.Files;
using RunnerHost.Hosting.Queues.JetStream;
using RunnerHost.Inspection;
using RunnerHost.Lists;
using RunnerHost.Operations;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Composition;

/// <summary>
/// The services one host process shares between its runners: the queue back end (its registry and
/// inspection surface), the list manager, runner events, and the operations plugins may ask for (shunt
/// replay, metrics). Runner contexts are made here so that every runner slice sees the same instances.
/// </summary>
public sealed class HostServices : IDisposable
{
    private readonly IQueueBackend _backend;
    private readonly ShuntReplayService _shuntReplay;
    private IListManager? _lists;

    public HostServices(HostConfiguration configuration, ILoggerFactory loggerFactory, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        Configuration = configuration;
        LoggerFactory = loggerFactory;
        Clock = clock ?? TimeProvider.System;
        Events = new RunnerEvents(loggerFactory.CreateLogger<RunnerEvents>());
        _backend = configuration.QueueBackend.Backend == QueueBackendKind.JetStream
            ? new JetStreamQueueBackend(configuration, loggerFactory, Clock)
            : new FileQueueBackend(configuration, loggerFactory, Clock);
        _shuntReplay = new ShuntReplayService(_backend.Queues, _backend.Inspector, configuration.Paths.VarDir, EarlierReplayJournal, Clock, loggerFactory);
        Metrics = new HostMetricsExporter(configuration, _backend.Inspector);
    }

    public HostConfiguration Configuration { get; }

    public ILoggerFactory LoggerFactory { get; }

    public TimeProvider Clock { get; }

    public IRunnerEvents Events { get; }

    /// <summary>Where the queues live.</summary>
    public IQueueBackend Backend => _backend;

    /// <summary>The file back end itself, for its own tools and the tests.</summary>
    /// <exception cref="InvalidOperationException">The queues are on another back end.</exception>
    public FileQueueBackend Files => _backend as FileQueueBackend
        ?? throw new InvalidOperationException($"the queues are on the {Configuration.QueueBackend.Backend} back end ([queues] backend), not in files");

    /// <summary>Where versions before contract 2 kept the unshunt journal (file back end only; still read, never written).</summary>
    public string? EarlierReplayJournal => (_backend as FileQueueBackend)?.EarlierReplayJournal;

    /// <summary>Every configured queue, to enqueue into.</summary>
    public IQueueRegistry Queues => _backend.Queues;

    /// <summary>What operators see of the queues.</summary>
    public IQueueInspector Inspector => _backend.Inspector;

    /// <summary>The <c>unshunt</c> command's replay as a service (one replay at a time in this process).</summary>
    public IShuntReplay ShuntReplay => _shuntReplay;

    /// <summary>What <c>runner-host metrics</c> prints, as a service.</summary>
    public IMetricsExporter Metrics { get; }

    /// <summary>
    /// The process's container (<see cref="HostComposition"/>), under which runners' scopes are begun; null when
    /// these services are used on their own (the testing package, tests), and each plugin generation then
    /// builds a container of its own.
    /// </summary>
    public Autofac.ILifetimeScope? Root { get; init; }

    /// <summary>Told of every entry a runner of this process finished; the command environment sets it to count them (src/Host/Diagnostics).</summary>
    public IEntryOutcomes? Outcomes { get; set; }

    /// <summary>The lists: the configured <c>[list.NAME]</c> sections, or a plugin's manager once <see cref="UseListManager"/> was called.</summary>
    public IListManager Lists => _lists ?? Configuration.Lists;

    /// <summary>Replaces the list manager; call before creating runner contexts.</summary>
    public void UseListManager(IListManager lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        _lists = lists;
    }

    /// <summary>The logger of a runner's slices.</summary>
    public ILogger RunnerLogger(string runner) => LoggerFactory.CreateLogger($"RunnerHost.Runner.{runner}");

    /// <summary>Builds the context of one runner slice.</summary>
    public RunnerContext CreateContext(RunnerSettings settings, int slice = 0, int sliceCount = 1)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new RunnerContext
        {
            Settings = settings,
            Slice = slice,
            SliceCount = sliceCount,
            // With tracing on, what a runner enqueues carries its span's context to the next hop (docs/tracing.md).
            Queues = Configuration.Tracing.Enabled ? new TraceContextQueues(Queues) : Queues,
            Inspector = Inspector,
            Lists = Lists,
            Events = Events,
            Logger = RunnerLogger(settings.Name),
            Clock = Clock,
            StateDirectory = Path.Combine(Configuration.Paths.VarDir, "state", settings.Name),
        };
    }

    public void Dispose()
    {
        _backend.Dispose();
        _shuntReplay.Dispose();
    }
}
