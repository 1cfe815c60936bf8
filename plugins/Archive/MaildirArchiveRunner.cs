using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Lists;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Archive;

/// <summary>
/// Archives each list's messages into a Maildir, <c>&lt;maildir&gt;/&lt;list id&gt;/{tmp,new,cur}</c>,
/// readable by any mail client. Settings: <c>maildir</c> (default <c>$archive_dir</c>). Archived mail is
/// as private as queued mail: files 0640 in folders 0750 (<see cref="PrivateFiles"/>).
/// </summary>
[RunnerSetting("maildir")]
public sealed class MaildirArchiveRunner(RunnerContext context) : Runner(context)
{
    private long _delivered;

    // Only moves bytes: the message is archived exactly as queued, and never parsed here.
    protected override async Task<bool> ProcessEntryAsync(IMailingList mailingList, QueueEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailingList);
        ArgumentNullException.ThrowIfNull(entry);
        string root = Settings.GetString("maildir") is { Length: > 0 } configured
            ? configured
            : throw new InvalidOperationException(Settings.Describe("maildir", "no Maildir directory configured"));
        string maildir = Path.Combine(root, mailingList.ListId);
        foreach (var sub in new[] { "tmp", "new", "cur" })
        {
            PrivateFiles.EnsureDirectory(Path.Combine(maildir, sub));
        }

        // Maildir delivery: write under tmp/, flush to disk, then rename into new/ (atomic publish).
        string name = $"{Clock.GetUtcNow().ToUnixTimeMilliseconds()}.P{Environment.ProcessId}Q{Interlocked.Increment(ref _delivered)}.{Environment.MachineName}";
        string temporary = Path.Combine(maildir, "tmp", name);
        await using (var file = PrivateFiles.CreateNew(temporary))
        {
            await file.WriteAsync(entry.RawMessage, cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path.Combine(maildir, "new", name));
        Logger.LogInformation("{Runner} archived {Filebase} for {List} as {File}", Identity, entry.Id, mailingList.ListId, name);
        return false;
    }
}
