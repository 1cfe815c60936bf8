namespace RunnerHost.Configuration;

/// <summary>A configuration value is missing or malformed. The message names the file, line, section and key.</summary>
public sealed class ConfigurationValueException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConfigurationValueException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ConfigurationValueException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ConfigurationValueException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
