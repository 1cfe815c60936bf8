using RunnerHost.Operations;

namespace RunnerHost.Testing;

/// <summary>The plugin directory of a test host: it loads no plugin folders.</summary>
internal sealed class NoPlugins : IPluginDirectory
{
    public IReadOnlyList<PluginDescription> Plugins => [];
}
