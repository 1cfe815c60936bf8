using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Events;
using RunnerHost.Inspection;
using RunnerHost.Lists;
using RunnerHost.Queues;

namespace RunnerHost;

/// <summary>Everything the host gives a runner instance. Built by the host; a runner receives it through its constructor.</summary>
public sealed class RunnerContext
{
    /// <summary>The runner's settings (<c>[runner.NAME]</c> merged over <c>[runner.master]</c>).</summary>
    public required RunnerSettings Settings { get; init; }

    /// <summary>This instance's slice, 0-based.</summary>
    public int Slice { get; init; }

    /// <summary>The number of slices; equals <see cref="RunnerSettings.Instances"/> when started by the host.</summary>
    public int SliceCount { get; init; } = 1;

    /// <summary>Every configured queue, to enqueue into.</summary>
    public required IQueueRegistry Queues { get; init; }

    /// <summary>What operators see of the queues: summaries, listings, entries, and the operator's actions.</summary>
    public required IQueueInspector Inspector { get; init; }

    /// <summary>The mailing lists.</summary>
    public required IListManager Lists { get; init; }

    /// <summary>Process-wide runner events.</summary>
    public required IRunnerEvents Events { get; init; }

    /// <summary>The logger of this runner slice.</summary>
    public required ILogger Logger { get; init; }

    /// <summary>
    /// A directory of this runner's own (it may not exist yet) where it keeps small state across
    /// restarts, such as the stamps of <see cref="RunnerBase.Every"/>; null keeps such state in memory.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>The clock (tests substitute a manual one).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
