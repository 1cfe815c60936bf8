using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Configuration;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace RunnerHost.Plugins.Pipeline;

/// <summary>
/// The <c>in</c> queue's runner: Mailman's incoming and pipeline runners in one hop. A post to the
/// list (<c>to_list</c>) gets the list headers and the subject prefix and goes to <c>out</c> for the
/// members and to <c>archive</c>; mail to <c>-owner</c> (<c>to_owner</c>) goes to <c>out</c> for the
/// owners, unchanged and unarchived. Settings: <c>out_queue</c> (<c>out</c>), <c>archive_queue</c>
/// (<c>archive</c>; empty = no archiving), <c>subject_prefix</c> and <c>subject_prefix_LOCALPART</c>
/// (see docs/mail-flow.md).
/// </summary>
[RunnerSetting("subject_prefix", "subject_prefix_*", "out_queue", "archive_queue", "to_owner")]
public sealed class ListPipelineRunner(RunnerContext context) : Runner(context)
{
    protected override async Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailingList);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(metadata);
        string outQueue = Settings.GetString("out_queue") is { Length: > 0 } o ? o : "out";
        string? archiveQueue = Settings.GetString("archive_queue") is { } a ? (a.Length > 0 ? a : null) : "archive";

        bool toOwner = metadata.TryGetBoolean("to_owner", out var owner) && owner;
        var recipients = (toOwner ? mailingList.Owners : mailingList.Members).Select(m => m.Address).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (!toOwner)
        {
            ListHeaders.Apply(message, mailingList, SubjectPrefix(mailingList));
        }

        if (recipients.Count == 0)
        {
            Logger.LogWarning("{Runner} {MessageId} for {List}: no {Who} to deliver to", Identity, message.MessageId, mailingList.ListId, toOwner ? "owners" : "members");
        }

        // Serialised once for both copies (as the queues would: FormatOptions.Default), not once per queue.
        byte[] serialised = Serialise(message, cancellationToken);
        if (recipients.Count > 0)
        {
            // The out entry carries its own delivery state; the archive copy needs only the list.
            var extra = new MessageData { ["recipients"] = recipients };
            string queued = await Queues[outQueue].EnqueueRawAsync(serialised, metadata, extra, cancellationToken: cancellationToken).ConfigureAwait(false);
            Logger.LogInformation("{Runner} {MessageId} for {List} → {Queue} ({Count} recipients) as {Filebase}", Identity, message.MessageId, mailingList.ListId, outQueue, recipients.Count, queued);
        }

        if (!toOwner && archiveQueue is not null)
        {
            var archived = new MessageData { [MessageDataKeys.ListId] = mailingList.ListId };
            string copy = await Queues[archiveQueue].EnqueueRawAsync(serialised, archived, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            // The archive runner logs the entry it archived, not the Message-ID (it never parses the message).
            Logger.LogInformation("{Runner} {MessageId} for {List} → {Queue} as {Filebase}", Identity, message.MessageId, mailingList.ListId, archiveQueue, copy);
        }

        return false;
    }

    private static byte[] Serialise(MimeMessage message, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(FormatOptions.Default, buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>The per-list prefix (<c>subject_prefix_LOCALPART</c>) or the global one, with <c>{display_name}</c> and <c>{list_id}</c> filled in.</summary>
    private string? SubjectPrefix(IMailingList mailingList)
    {
        string localPart = mailingList.PostingAddress.Split('@')[0];
        string? template = Settings.GetString($"subject_prefix_{localPart}") ?? Settings.GetString("subject_prefix");
        return string.IsNullOrWhiteSpace(template)
            ? null
            : template.Trim()
                .Replace("{display_name}", mailingList.DisplayName, StringComparison.Ordinal)
                .Replace("{list_id}", mailingList.ListId, StringComparison.Ordinal);
    }
}
