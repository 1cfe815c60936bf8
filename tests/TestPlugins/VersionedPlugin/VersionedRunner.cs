using System.Globalization;
using System.Text;
using MimeKit;
using RunnerHost;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace VersionedPlugin;

/// <summary>
/// Writes <c>GENERATION MESSAGE-ID</c> for each message into <c>output_dir/NAME-SLICE-PID-GUID.log</c>
/// (one writer per file). <c>dispose_delay</c> keeps each message in hand for a while, so a reload
/// finds one in flight.
/// </summary>
public sealed class VersionedRunner(RunnerContext context) : Runner(context)
{
#if GENERATION_3
    public const string Generation = "v3";
#elif GENERATION_2
    public const string Generation = "v2";
#else
    public const string Generation = "v1";
#endif

    private FileStream? _output;

    protected override async Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        var delay = Settings.GetDuration("dispose_delay", TimeSpan.Zero);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }

        _output ??= Open();
        _output.Write(Encoding.UTF8.GetBytes(Generation + " " + message.MessageId + "\n"));
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
