namespace RunnerHost.Hosting.Composition;

/// <summary>A runner could not be created: unknown or ambiguous class, not a Runner, or its constructor failed. The message is one line for the operator.</summary>
public sealed class RunnerCreationException : Exception
{
    public RunnerCreationException()
    {
    }

    public RunnerCreationException(string message)
        : base(message)
    {
    }

    public RunnerCreationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
