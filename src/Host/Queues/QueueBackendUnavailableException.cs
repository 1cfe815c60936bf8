namespace RunnerHost.Hosting.Queues;

/// <summary>
/// The queue back end cannot store or hand out entries now (its server is unreachable or did not
/// acknowledge in time). An <see cref="IOException"/>: callers that handle a full disk handle this too
/// (LMTP answers 451, an enqueue command exits non-zero), and nothing was acknowledged to anyone.
/// </summary>
public sealed class QueueBackendUnavailableException : IOException
{
    public QueueBackendUnavailableException()
    {
    }

    public QueueBackendUnavailableException(string message)
        : base(message)
    {
    }

    public QueueBackendUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
