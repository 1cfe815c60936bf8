using Microsoft.Extensions.Logging;
using RunnerHost.Inspection;
using RunnerHost.Operations;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Operations;

/// <summary>
/// <see cref="IShuntReplay"/> for plugins: the <c>unshunt</c> command's replay (<see cref="ShuntReplayer"/>,
/// same journal, same metadata) over the host's queues. Replays of this process run one at a time.
/// </summary>
public sealed class ShuntReplayService(IQueueRegistry queues, IQueueInspector inspector, string varDirectory, string? earlierJournal, TimeProvider clock, ILoggerFactory loggerFactory) : IShuntReplay, IDisposable
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly ILogger _logger = loggerFactory.CreateLogger("RunnerHost.Operations.ShuntReplay");

    public async Task<ShuntReplayOutcome> ReplayAsync(string filebase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filebase);
        return (await RunAsync([filebase], cancellationToken).ConfigureAwait(false))[0];
    }

    public Task<IReadOnlyList<ShuntReplayOutcome>> ReplayAllAsync(CancellationToken cancellationToken = default) => RunAsync(null, cancellationToken);

    public void Dispose() => _oneAtATime.Dispose();

    private async Task<IReadOnlyList<ShuntReplayOutcome>> RunAsync(IReadOnlyCollection<string>? filebases, CancellationToken cancellationToken)
    {
        if (!inspector.QueueNames.Contains(QueueNames.Shunt, StringComparer.Ordinal))
        {
            throw new InvalidOperationException("no shunt queue is configured");
        }

        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var replayer = new ShuntReplayer(inspector, queues, ReplayJournal.Open(varDirectory, earlierJournal: earlierJournal), clock, TextWriter.Null, TextWriter.Null);
            var outcomes = await replayer.ReplayAsync(filebases, cancellationToken).ConfigureAwait(false);
            foreach (var outcome in outcomes.Where(o => o.Status == ShuntReplayStatus.Replayed))
            {
                _logger.LogInformation("Unshunted {Filebase} -> {Queue} {NewFilebase}", outcome.Filebase, outcome.Queue, outcome.NewFilebase);
            }

            return outcomes;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }
}
