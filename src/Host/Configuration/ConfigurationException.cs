namespace RunnerHost.Hosting.Configuration;

/// <summary>
/// The configuration cannot be read or is invalid. The message is one line, normally
/// <c>&lt;file&gt;:&lt;line&gt;: &lt;problem&gt;</c>, so it can be shown to an operator as is.
/// </summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException()
    {
    }

    public ConfigurationException(string message)
        : base(message)
    {
    }

    public ConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the standard one-line error for a value: <c>origin: [section] key: problem</c>.</summary>
    public static ConfigurationException ForValue(string origin, string section, string key, string problem) =>
        new($"{origin}: [{section}] {key}: {problem}");
}
