using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Operations;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// The plugins of one catalog, for runners that show them (the dashboard's plugins page). A runner
/// process loads only its own plugin (<see cref="PluginCatalog.IsComplete"/> false): the first reader then
/// gets every folder as <c>runner-host plugins</c> lists it, loaded in place once and unloaded again, so
/// that processes which never ask pay nothing.
/// </summary>
public sealed class CatalogPluginDirectory : IPluginDirectory
{
    private readonly Lazy<IReadOnlyList<PluginDescription>> _plugins;

    public CatalogPluginDirectory(PluginCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _plugins = catalog.IsComplete
            ? new(Describe(catalog))
            : new(() => DescribeAll(catalog.Directory), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <inheritdoc/>
    public IReadOnlyList<PluginDescription> Plugins => _plugins.Value;

    private static PluginDescription[] DescribeAll(string directory)
    {
        try
        {
            using var everything = new PluginCatalog(directory, NullLoggerFactory.Instance);
            return Describe(everything);
        }
        catch (PluginException)
        {
            // The directory went away since the runner started: there is nothing to list.
            return [];
        }
    }

    private static PluginDescription[] Describe(PluginCatalog catalog) =>
        [.. catalog.Plugins.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new PluginDescription(
            p.Name,
            p.IsLoaded ? p.Version : null,
            [.. p.RunnerTypes.Select(t => t.FullName ?? t.Name).Order(StringComparer.Ordinal)],
            p.Error,
            p.Directory))];
}
