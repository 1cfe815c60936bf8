using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Events;
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

    /// <summary>This slice's own switchboard; null when the section has no queue path.</summary>
    public ISwitchboard? Switchboard { get; init; }

    /// <summary>Every configured queue, for handing messages on (unsliced).</summary>
    public required ISwitchboardRegistry Queues { get; init; }

    /// <summary>The mailing lists.</summary>
    public required IListManager Lists { get; init; }

    /// <summary>Process-wide runner events.</summary>
    public required IRunnerEvents Events { get; init; }

    /// <summary>The logger for this runner slice.</summary>
    public required ILogger Logger { get; init; }

    /// <summary>The clock; tests substitute a fake.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
