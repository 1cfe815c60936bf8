using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost;
using RunnerHost.Configuration;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace MyRunner;

/// <summary>
/// The myrunner runner: for each message of its queue, appends "list id: subject" to a file of its
/// slice, and every report_interval logs how many it handled. Replace the body of
/// <see cref="ProcessMessageAsync"/> with your runner's work.
/// </summary>
// The keys this runner reads from [runner.myrunner]: the host warns about any other (a misspelling).
[RunnerSetting("output", "report_interval")]
public sealed class MyRunnerRunner : Runner
{
    private readonly string _output;
    private readonly TimeSpan _reportInterval;
#if (module)
    private readonly LineFormatter _formatter;
#endif
    private int _handled;

#if (module)
    // The constructor may take host services (IQueueRegistry, IListManager, TimeProvider, ILogger<T>, ...)
    // and whatever the plugin's Autofac modules register, such as LineFormatter (MyRunnerModule).
    public MyRunnerRunner(RunnerContext context, LineFormatter formatter)
        : base(context)
    {
        _formatter = formatter;
#else
    // The constructor may take host services too (IQueueRegistry, IListManager, TimeProvider, ILogger<T>, ...).
    public MyRunnerRunner(RunnerContext context)
        : base(context)
    {
#endif
        // [runner.myrunner] merged over [runner.master]; a bad value stops the runner with file and line.
        _output = Settings.GetString("output") ?? "myrunner";
        _reportInterval = Settings.GetDuration("report_interval", TimeSpan.FromHours(1));
    }

    /// <summary>
    /// The dispose hook, once per message: return false when done, true to keep the message queued for
    /// a later attempt (after a doubling backoff); an exception shunts it with the error recorded.
    /// </summary>
    protected override async Task<bool> ProcessMessageAsync(
        IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
#if (module)
        string line = _formatter.Format(mailingList, message);
#else
        string line = $"{mailingList.ListId}: {message.Subject}";
#endif
        // One file per slice: with "instances: 2" two processes run this runner, and two writers
        // appending to one file can interleave their lines.
        await File.AppendAllTextAsync($"{_output}-{Slice}.txt", line + "\n", cancellationToken);
        _handled++;
        return false;
    }

    /// <summary>The periodic hook: after every message and after every pass over the queue.</summary>
    protected override Task DoPeriodicAsync(CancellationToken cancellationToken) =>
        // Due at most once per interval; the last run is remembered across restarts.
        Every(_reportInterval, "report").RunIfDueAsync(_ =>
        {
            Logger.LogInformation("{Runner} handled {Count} messages since its last report.", Identity, _handled);
            _handled = 0;
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>Called once when the runner stops: release what it holds.</summary>
    protected override Task CleanUpAsync(CancellationToken cancellationToken)
    {
        Logger.LogInformation("{Runner} stopping; {Count} messages since its last report.", Identity, _handled);
        return Task.CompletedTask;
    }
}
