namespace RunnerHost.Queues;

/// <summary>Names of the queues the runner core itself uses.</summary>
public static class QueueNames
{
    /// <summary>Messages whose processing failed, with their error recorded; replayed by <c>unshunt</c>.</summary>
    public const string Shunt = "shunt";

    /// <summary>Preserved entries (<c>.psv</c>) that could not be read or shunted.</summary>
    public const string Bad = "bad";

    /// <summary>The default queue for injected messages.</summary>
    public const string In = "in";
}
