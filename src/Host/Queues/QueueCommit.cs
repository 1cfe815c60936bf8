namespace RunnerHost.Hosting.Queues;

/// <summary>How the file back end makes an enqueue durable (<c>[queues] commit</c>, docs/queue-format.md).</summary>
public enum QueueCommit
{
    /// <summary>One record in the queue's write-ahead journal and one <c>fdatasync</c>; the entry file is renamed into place without fsync.</summary>
    Journal,

    /// <summary>Fsync of the entry file, rename, fsync of the directory (group-committed).</summary>
    Fsync,
}
