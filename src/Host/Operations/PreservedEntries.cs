using RunnerHost.Hosting.Cli;
using RunnerHost.Inspection;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Operations;

/// <summary>A preserved entry cannot be requeued; the entry is left as it is.</summary>
public sealed class PreservedEntryException : Exception
{
    public PreservedEntryException()
    {
    }

    public PreservedEntryException(string message)
        : base(message)
    {
    }

    public PreservedEntryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The <c>bad</c> command's view of the bad queue, through the inspection surface: list, check names, requeue, purge.</summary>
public sealed class PreservedEntries(IQueueInspector inspector)
{
    /// <summary>The metadata key naming the preserved entry a requeued message came from.</summary>
    public const string RequeuedFromKey = MessageDataKeys.RequeuedFrom;

    /// <summary>Every preserved entry, oldest first.</summary>
    public async Task<IReadOnlyList<EntrySummary>> ListAsync(CancellationToken cancellationToken)
    {
        var entries = new List<EntrySummary>();
        while (true)
        {
            var page = await inspector.ListAsync(QueueNames.Bad, new EntryQuery(entries.Count, EntryQuery.MaxLimit), cancellationToken).ConfigureAwait(false);
            entries.AddRange(page.Entries);
            if (page.Entries.Count == 0 || entries.Count >= page.Total)
            {
                return entries;
            }
        }
    }

    /// <summary>What else bad holds that is no preserved entry (a <c>.pck</c> put there, a directory, ...): nothing processes it.</summary>
    public async Task<IReadOnlyList<StrayEntry>> ListStraysAsync(CancellationToken cancellationToken) =>
        (await inspector.SummarizeAsync(QueueNames.Bad, cancellationToken).ConfigureAwait(false)).Strays;

    /// <summary>The id of an existing entry, from a name as <c>bad list</c> prints it (or as its back end names it); a <see cref="UsageException"/> when there is none.</summary>
    public async Task<string> IdOfAsync(string name, CancellationToken cancellationToken) =>
        (await ReadAsync(name, cancellationToken).ConfigureAwait(false)).Id;

    /// <summary>Reads an entry (for <c>bad show</c>); a <see cref="UsageException"/> when there is none.</summary>
    public async Task<EntryInspection> ReadAsync(string name, CancellationToken cancellationToken) =>
        await inspector.ReadAsync(QueueNames.Bad, OperationArguments.PreservedName(name), cancellationToken).ConfigureAwait(false)
        ?? throw new UsageException($"no preserved entry {name} in {QueueNames.Bad}");

    /// <summary>
    /// Enqueues the entry's message and metadata into <paramref name="target"/> (with <c>requeued_from</c>
    /// set) and removes it. An undecodable entry is refused with the reason and left alone.
    /// </summary>
    public async Task<string> RequeueAsync(string id, string target, CancellationToken cancellationToken)
    {
        try
        {
            return await inspector.RequeueAsync(QueueNames.Bad, id, target, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueEntryCorruptException ex)
        {
            throw new PreservedEntryException($"cannot requeue {id}: undecodable: {ex.Message}", ex);
        }
    }

    /// <summary>Deletes the entry and its reason.</summary>
    public Task PurgeAsync(string id, CancellationToken cancellationToken) => inspector.DiscardAsync(QueueNames.Bad, id, cancellationToken);
}
