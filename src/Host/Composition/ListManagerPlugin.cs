using RunnerHost.Lists;

namespace RunnerHost.Hosting.Composition;

/// <summary>The list manager a plugin provides (<c>[lists] manager</c>), if the configuration names one; owned by the process's container.</summary>
internal sealed class ListManagerPlugin(PluginListManager? plugin) : IDisposable
{
    public IListManager? Manager => plugin?.Manager;

    public void Dispose() => plugin?.Dispose();
}
