using RunnerHost.Operations;

namespace RunnerHost.Host.Plugins;

/// <summary>The plugins of one catalog, for runners that show them (the dashboard's plugins page).</summary>
public sealed class CatalogPluginDirectory(PluginCatalog catalog) : IPluginDirectory
{
    /// <inheritdoc/>
    public IReadOnlyList<PluginDescription> Plugins { get; } =
        [.. catalog.Plugins.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new PluginDescription(
            p.Name,
            p.IsLoaded ? p.Version : null,
            [.. p.RunnerTypes.Select(t => t.FullName ?? t.Name).Order(StringComparer.Ordinal)],
            p.Error,
            p.Directory))];
}
