using Microsoft.Extensions.Logging;
using RunnerHost;
using RunnerHost.Configuration;

namespace MyRunner;

/// <summary>
/// The myrunner runner, a runner without a queue (a server, a watcher): started once, its periodic hook
/// called every sleep_time, stopped once. This one logs the depth of watch_queue every report_interval.
/// </summary>
[RunnerSetting("watch_queue", "report_interval")]
public sealed class MyRunnerService : ServiceRunner
{
    private readonly string _watchQueue;
    private readonly TimeSpan _reportInterval;
#if (module)
    private readonly LineFormatter _formatter;
#endif

#if (module)
    // The constructor may take host services and whatever the plugin's Autofac modules register.
    public MyRunnerService(RunnerContext context, LineFormatter formatter)
        : base(context)
    {
        _formatter = formatter;
#else
    // The constructor may take host services (IQueueRegistry, IListManager, TimeProvider, ILogger<T>, ...).
    public MyRunnerService(RunnerContext context)
        : base(context)
    {
#endif
        _watchQueue = Settings.GetString("watch_queue") ?? "in";
        _reportInterval = Settings.GetDuration("report_interval", TimeSpan.FromMinutes(1));
    }

    /// <summary>Called once: start serving (open sockets, start timers). An exception fails the start.</summary>
    protected override Task StartAsync(CancellationToken cancellationToken)
    {
        Logger.LogInformation("{Runner} watching queue {Queue}.", Identity, _watchQueue);
        return Task.CompletedTask;
    }

    /// <summary>The periodic hook, every sleep_time while the runner runs.</summary>
    protected override Task DoPeriodicAsync(CancellationToken cancellationToken) =>
        Every(_reportInterval, "report").RunIfDueAsync(async token =>
        {
            var summary = await Inspector.SummarizeAsync(_watchQueue, token);
#if (module)
            Logger.LogInformation("{Runner}: {Report}", Identity, _formatter.Format(_watchQueue, summary.Depth));
#else
            Logger.LogInformation("{Runner}: queue {Queue} holds {Count} entries.", Identity, _watchQueue, summary.Depth);
#endif
        }, cancellationToken);

    /// <summary>Called once when stopped: stop serving; the token is cancelled when stop_timeout has passed.</summary>
    protected override Task StopAsync(CancellationToken cancellationToken)
    {
        Logger.LogInformation("{Runner} stopped watching.", Identity);
        return Task.CompletedTask;
    }
}
