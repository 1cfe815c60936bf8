using System.Globalization;
using System.Text;
using MimeKit;
using RunnerHost;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace SupervisionPlugin;

/// <summary>
/// Records each processed Message-ID in <c>output_dir/NAME-SLICE-PID.log</c> (one writer per file, so
/// appends need no locking; a SIGKILL loses nothing already written, the kernel has it). Optional:
/// <c>dispose_delay</c> (honours cancellation) and <c>hang_subject</c> (a message with that subject
/// hangs, ignoring cancellation, until the process is killed).
/// </summary>
public sealed class RecordingRunner(RunnerContext context) : Runner(context)
{
    private FileStream? _output;

    protected override async Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        if (Settings.GetString("hang_subject") is { Length: > 0 } hang && message.Subject == hang)
        {
            Thread.Sleep(Timeout.Infinite);
        }

        var delay = Settings.GetDuration("dispose_delay", TimeSpan.Zero);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }

        _output ??= Open();
        _output.Write(Encoding.UTF8.GetBytes(message.MessageId + "\n"));
        _output.Flush();
        return false;
    }

    protected override Task CleanUpAsync(CancellationToken cancellationToken)
    {
        _output?.Dispose();
        return Task.CompletedTask;
    }

    private FileStream Open()
    {
        string directory = Settings.GetString("output_dir") ?? throw new InvalidOperationException("output_dir is not set");
        Directory.CreateDirectory(directory);
        string file = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{Name}-{Slice}-{Environment.ProcessId}-{Guid.NewGuid():N}.log"));
        return new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.Read);
    }
}

/// <summary>Crashes at every start: the snooze after its first pass throws, so the loop (and the process) fails.</summary>
public sealed class CrashingRunner(RunnerContext context) : Runner(context)
{
    protected override Task SnoozeAsync(int entryCount, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("crashing on purpose");
}
