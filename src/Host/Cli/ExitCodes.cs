namespace RunnerHost.Hosting.Cli;

/// <summary>Process exit codes of <c>runner-host</c> (documented in docs/cli.md). Codes 3 and 4 tell a supervisor not to retry.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>An unexpected failure; the exception was logged.</summary>
    public const int Failure = 1;

    /// <summary>Bad command line, unknown list or queue.</summary>
    public const int Usage = 2;

    /// <summary>The configuration could not be read or is invalid.</summary>
    public const int Configuration = 3;

    /// <summary>The runner could not be created: unknown class, not a runner, constructor failed.</summary>
    public const int RunnerCreation = 4;
}
