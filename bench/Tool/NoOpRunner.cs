using System.Diagnostics;
using RunnerHost.Lists;
using RunnerHost.Queues;

namespace RunnerHost.Bench;

/// <summary>
/// A runner whose dispose hook does nothing but count: the benchmark then measures the queue and the
/// runner loop alone. Completes <see cref="Completion"/> once <c>expected</c> messages were disposed.
/// </summary>
public sealed class NoOpRunner : Runner
{
    private readonly long _expected;
    private readonly Action<long>? _onDispose;
    private readonly bool _parse;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _disposed;

    public NoOpRunner(RunnerContext context, long expected, Action<long>? onDispose = null, bool parse = false)
        : base(context)
    {
        _expected = expected;
        _onDispose = onDispose;
        _parse = parse;
    }

    public Task Completion => _completion.Task;

    public long Disposed => Interlocked.Read(ref _disposed);

    protected override Task<bool> ProcessEntryAsync(IMailingList mailingList, QueueEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_parse)
        {
            _ = entry.Message.MessageId;
        }

        // The timestamp is taken first so that the callback measures arrival, not its own cost.
        long now = Stopwatch.GetTimestamp();
        _onDispose?.Invoke(now);
        if (Interlocked.Increment(ref _disposed) >= _expected)
        {
            _completion.TrySetResult();
        }

        return Task.FromResult(false);
    }
}
