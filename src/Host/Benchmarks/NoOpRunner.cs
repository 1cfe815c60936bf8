using System.Diagnostics;
using MimeKit;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace RunnerHost.Host.Benchmarks;

/// <summary>
/// A runner whose dispose hook does nothing but count: the benchmark then measures the queue and the
/// runner loop alone. Completes <see cref="Completion"/> once <c>expected</c> messages were disposed.
/// </summary>
public sealed class NoOpRunner : Runner
{
    private readonly long _expected;
    private readonly Action<long>? _onDispose;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _disposed;

    public NoOpRunner(RunnerContext context, long expected, Action<long>? onDispose = null)
        : base(context)
    {
        _expected = expected;
        _onDispose = onDispose;
    }

    public Task Completion => _completion.Task;

    public long Disposed => Interlocked.Read(ref _disposed);

    protected override Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
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
