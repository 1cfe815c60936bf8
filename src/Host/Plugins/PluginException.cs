namespace RunnerHost.Hosting.Plugins;

/// <summary>A plugin problem, described in one line that names the plugin and the cause.</summary>
public sealed class PluginException : Exception
{
    public PluginException()
    {
    }

    public PluginException(string message)
        : base(message)
    {
    }

    public PluginException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
