using MimeKit;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Runners;

/// <summary>Mailman's make_testable_runner: stops in the periodic hook once its queue is drained (or it has none), never sleeps.</summary>
internal class TestableRunnerBase(RunnerContext context) : Runner(context)
{
    public List<(MimeMessage Message, MessageData Metadata)> Seen { get; } = [];

    protected override Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        Seen.Add((message, metadata));
        return Task.FromResult(false);
    }

    protected override async Task DoPeriodicAsync(CancellationToken cancellationToken)
    {
        // Nothing due any more in its queue: ready entries are the depth less those kept for later or in hand.
        var queue = await Inspector.SummarizeAsync(Name, cancellationToken);
        if (queue.Depth - queue.NotYetDue - queue.InProgress == 0)
        {
            Stop();
        }
    }

    protected override Task SnoozeAsync(int fileCount, CancellationToken cancellationToken) => Task.CompletedTask;
}

internal sealed class CrashingRunner(RunnerContext context) : TestableRunnerBase(context)
{
    protected override Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        metadata["touched"] = "before the crash";
        throw new InvalidOperationException("borked");
    }
}

/// <summary>A server: counts its starts, periodic turns and stops.</summary>
internal sealed class NonQueueRunner(RunnerContext context) : ServiceRunner(context)
{
    public int Starts { get; private set; }

    public int Periodic { get; private set; }

    public int Stops { get; private set; }

    protected override Task StartAsync(CancellationToken cancellationToken)
    {
        Starts++;
        return Task.CompletedTask;
    }

    protected override Task DoPeriodicAsync(CancellationToken cancellationToken)
    {
        Periodic++;
        Stop();
        return Task.CompletedTask;
    }

    protected override Task StopAsync(CancellationToken cancellationToken)
    {
        Stops++;
        return Task.CompletedTask;
    }
}

/// <summary>Always asks to keep the message queued, counting calls.</summary>
internal sealed class KeepingRunner(RunnerContext context) : Runner(context)
{
    private int _calls;

    public int Calls => _calls;

    public TimeSpan BackoffFor(int previousKeeps)
    {
        var data = new MessageData { [MessageDataKeys.RequeueCount] = previousKeeps };
        return NextAttemptTime(data) - Clock.GetUtcNow();
    }

    protected override Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(true);
    }
}

/// <summary>Blocks in dispose until released or cancelled, to test stopping mid-message.</summary>
internal sealed class SlowRunner(RunnerContext context) : Runner(context)
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Entered => _entered.Task;

    public int Completed { get; private set; }

    public void Release() => _release.TrySetResult();

    protected override async Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        _entered.TrySetResult();
        await _release.Task.WaitAsync(cancellationToken);
        Completed++;
        return false;
    }
}

internal sealed class PeriodicFailureRunner(RunnerContext context) : TestableRunnerBase(context)
{
    public int PeriodicCalls { get; private set; }

    protected override Task DoPeriodicAsync(CancellationToken cancellationToken)
    {
        PeriodicCalls++;
        if (PeriodicCalls == 1)
        {
            throw new InvalidOperationException("periodic boom");
        }

        return base.DoPeriodicAsync(cancellationToken);
    }
}
