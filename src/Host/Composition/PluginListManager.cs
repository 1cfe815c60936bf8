using Autofac;
using Autofac.Features.AttributeFilters;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Plugins;
using RunnerHost.Lists;

namespace RunnerHost.Hosting.Composition;

/// <summary>
/// A list manager from a plugin, replacing the <c>[list.NAME]</c> sections when <c>[lists] manager</c>
/// names its type. Its constructor may take <c>ILogger&lt;T&gt;</c>, <see cref="TimeProvider"/>, the
/// <c>[lists]</c> values as <c>IReadOnlyDictionary&lt;string, string&gt;</c>, and the configured manager as
/// <c>[KeyFilter("configured")] IListManager</c> to extend it. Built in a scope of the process's one
/// container, bound to the plugin's load context; owns that scope and its plugin catalog (loaded once and
/// never reloaded, unlike a runner's, so it is not shared with them).
/// </summary>
public sealed class PluginListManager : IDisposable
{
    /// <summary>The key under which the configuration-backed manager is offered to the plugin.</summary>
    public const string ConfiguredKey = "configured";

    private readonly PluginCatalog _catalog;
    private readonly ILifetimeScope _scope;

    private PluginListManager(PluginCatalog catalog, ILifetimeScope scope, IListManager manager)
    {
        _catalog = catalog;
        _scope = scope;
        Manager = manager;
    }

    public IListManager Manager { get; }

    /// <summary>Loads the configured list manager; null when the configuration names none.</summary>
    /// <exception cref="RunnerCreationException">The type cannot be found or created; one line naming file and line.</exception>
    /// <param name="configuration">The host's configuration.</param>
    /// <param name="root">The process's container: its <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/> serve the manager.</param>
    public static PluginListManager? Load(HostConfiguration configuration, ILifetimeScope root)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(root);
        if (configuration.ListManager is not { } settings)
        {
            return null;
        }

        string Problem(string text) => $"{settings.Origin}: [lists] manager: {text}";
        PluginTypeName name;
        try
        {
            // The same PLUGIN:TYPE form as a runner's class (docs/configuration.md).
            name = PluginTypeName.Parse(settings.ClassName);
        }
        catch (PluginException ex)
        {
            throw new RunnerCreationException(Problem(ex.Message), ex);
        }

        PluginCatalog catalog;
        try
        {
            // Only the plugins that may define the manager's type.
            catalog = new PluginCatalog(configuration.Paths.PluginDir, root.Resolve<ILoggerFactory>(), snapshots: null, name);
        }
        catch (PluginException ex)
        {
            throw new RunnerCreationException(Problem(ex.Message), ex);
        }

        var candidates = catalog.LoadedPlugins
            .Where(p => name.Plugin is null || string.Equals(p.Name, name.Plugin, StringComparison.Ordinal))
            .SelectMany(p => p.Types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IListManager).IsAssignableFrom(t)).Select(t => (Plugin: p, Type: t)))
            .ToList();
        var matches = candidates.Where(c => c.Type.FullName == name.Type).ToList();
        if (matches.Count == 0)
        {
            matches = candidates.Where(c => c.Type.Name == name.Type).ToList();
        }

        if (matches.Count != 1)
        {
            catalog.Dispose();
            throw new RunnerCreationException(Problem(matches.Count == 0
                ? $"no list manager type named '{settings.ClassName}' in any plugin in {catalog.Directory}"
                : $"'{settings.ClassName}' is ambiguous: {string.Join(", ", matches.Select(m => $"'{m.Type.FullName}' in plugin '{m.Plugin.Name}'"))}; "
                  + $"name the plugin too: {string.Join(" or ", matches.Select(m => $"'manager: {m.Plugin.Name}:{m.Type.FullName}'"))}"));
        }

        var (plugin, type) = matches[0];
        var scope = root.BeginLoadContextLifetimeScope(plugin.LoadContext!, b =>
        {
            b.RegisterInstance(configuration.Lists).Keyed<IListManager>(ConfiguredKey).ExternallyOwned();
            b.RegisterInstance(settings.Values).As<IReadOnlyDictionary<string, string>>().ExternallyOwned();
            // Closed over the plugin's types inside its own scope, so the load context is not pinned by the root.
            b.RegisterGeneric(typeof(Logger<>)).As(typeof(ILogger<>));
            b.RegisterAssemblyModules(plugin.Assembly!);
            b.RegisterType(type).As<IListManager>().WithAttributeFiltering();
        });
        try
        {
            return new PluginListManager(catalog, scope, scope.Resolve<IListManager>());
        }
        catch (Exception ex) when (ex is Autofac.Core.DependencyResolutionException)
        {
            scope.Dispose();
            catalog.Dispose();
            var cause = ex;
            while (cause.InnerException is { } inner)
            {
                cause = inner;
            }

            throw new RunnerCreationException(Problem($"could not create '{type.FullName}' from plugin '{plugin.Name}': {cause.Message}"), ex);
        }
    }

    public void Dispose()
    {
        _scope.Dispose();
        _catalog.Dispose();
    }
}
