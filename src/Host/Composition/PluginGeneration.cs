using RunnerHost.Configuration;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Composition;

/// <summary>
/// One loaded version of the plugins for one runner: the catalog (from private copies), the activator
/// over it, and the plugin and type the runner's <c>class</c> resolves to. Loading one is also how a
/// new version is validated before the running one is stopped.
/// </summary>
internal sealed class PluginGeneration : IAsyncDisposable
{
    private readonly PluginCatalog _catalog;
    private readonly RunnerActivator _activator;

    private PluginGeneration(PluginCatalog catalog, RunnerActivator activator, PluginInfo plugin)
    {
        _catalog = catalog;
        _activator = activator;
        Plugin = plugin;
    }

    /// <summary>The plugin that defines the runner's type.</summary>
    public PluginInfo Plugin { get; }

    /// <summary>The deployed folder's listing the runner's plugin was copied from (what a change is measured against).</summary>
    public string SourceFingerprint => Plugin.Snapshot?.SourceFingerprint ?? PluginFolderListing.FingerprintOf(Plugin.Directory);

    /// <summary>Loads the plugins and resolves <paramref name="settings"/>' class among them.</summary>
    /// <exception cref="RunnerCreationException">The plugin directory is missing, or the class cannot be resolved (with its plugin's load failure); one line.</exception>
    public static async Task<PluginGeneration> LoadAsync(HostServices services, RunnerSettings settings, PluginSnapshotStore snapshots)
    {
        PluginCatalog catalog;
        try
        {
            // Only the plugins that may define the class: the others are neither copied nor loaded here.
            catalog = new PluginCatalog(services.Configuration.Paths.PluginDir, services.LoggerFactory, snapshots, WantedType(settings));
        }
        catch (PluginException ex)
        {
            throw new RunnerCreationException(ex.Message, ex);
        }

        var activator = new RunnerActivator(services, catalog);
        try
        {
            return new PluginGeneration(catalog, activator, activator.PluginOf(settings));
        }
        catch
        {
            await activator.DisposeAsync().ConfigureAwait(false);
            catalog.Dispose();
            throw;
        }
    }

    // A class that does not parse loads every plugin; the resolution then reports it as before.
    private static PluginTypeName? WantedType(RunnerSettings settings)
    {
        if (string.IsNullOrWhiteSpace(settings.ClassName))
        {
            return null;
        }

        try
        {
            return PluginTypeName.Parse(settings.ClassName.Trim());
        }
        catch (PluginException)
        {
            return null;
        }
    }

    /// <summary>Creates the runner of one slice from this generation.</summary>
    /// <exception cref="RunnerCreationException">Its constructor failed; one line.</exception>
    public Task<PluginRunnerScope> CreateAsync(RunnerSettings settings, int slice, int sliceCount) =>
        _activator.CreateAsync(settings, slice, sliceCount);

    public PluginRunState State(string? reloadError = null) => new(Plugin.Name, Plugin.Version, reloadError);

    public async ValueTask DisposeAsync()
    {
        // Disposal order matters for unloading: the root container, then the plugins.
        await _activator.DisposeAsync().ConfigureAwait(false);
        _catalog.Dispose();
    }
}
