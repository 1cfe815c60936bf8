namespace RunnerHost.Queues;

/// <summary>A queue entry does not exist (any more), typically because another process took it.</summary>
public sealed class QueueEntryNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public QueueEntryNotFoundException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public QueueEntryNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public QueueEntryNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A queue entry exists but cannot be read: empty, truncated, altered, or of an unknown format version.</summary>
public sealed class QueueEntryCorruptException : Exception
{
    /// <summary>Creates the exception.</summary>
    public QueueEntryCorruptException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public QueueEntryCorruptException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public QueueEntryCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
