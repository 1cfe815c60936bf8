namespace RunnerHost.Hosting.Cli;

/// <summary>A command's arguments are wrong; printed as <c>Error: message</c> with exit code 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
