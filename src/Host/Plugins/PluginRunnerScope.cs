using Autofac;
using Microsoft.Extensions.Logging;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// A runner instance and the Autofac load-context scope that built it. Disposing it disposes the scope,
/// which also drops Autofac's reflection caches for the plugin's load context so that it can unload.
/// </summary>
public sealed class PluginRunnerScope : IAsyncDisposable
{
    private readonly ILifetimeScope _scope;

    private PluginRunnerScope(ILifetimeScope scope, PluginInfo plugin, string runnerName, RunnerBase runner)
    {
        _scope = scope;
        Plugin = plugin;
        RunnerName = runnerName;
        Runner = runner;
    }

    /// <summary>The plugin that defines the runner type.</summary>
    public PluginInfo Plugin { get; }

    /// <summary>The runner name (<c>[runner.NAME]</c>).</summary>
    public string RunnerName { get; }

    /// <summary>The runner instance; do not keep it beyond the scope's lifetime.</summary>
    public RunnerBase Runner { get; }

    /// <summary>
    /// Builds <paramref name="runnerType"/> in a child scope of <paramref name="root"/> bound to the
    /// plugin's load context: <c>ILogger&lt;T&gt;</c> (from the root's <see cref="ILoggerFactory"/>), the
    /// plugin's Autofac modules, the context and its settings are registered there, and the root's
    /// services stay available. The root must not register an open-generic <c>ILogger&lt;&gt;</c>: it would pin
    /// every plugin that asks for one.
    /// </summary>
    /// <exception cref="PluginException">The runner could not be built; one line naming plugin, type and innermost cause.</exception>
    public static async Task<PluginRunnerScope> CreateAsync(ILifetimeScope root, PluginInfo plugin, Type runnerType, string runnerName, RunnerContext context)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(runnerType);
        ArgumentException.ThrowIfNullOrEmpty(runnerName);
        ArgumentNullException.ThrowIfNull(context);
        if (plugin.Assembly is not { } assembly || plugin.LoadContext is not { } loadContext)
        {
            throw new PluginException(plugin.Error ?? $"plugin '{plugin.Name}' ({plugin.Directory}) is unloaded");
        }

        if (runnerType.Assembly != assembly || !typeof(RunnerBase).IsAssignableFrom(runnerType))
        {
            throw new ArgumentException($"'{runnerType.FullName}' is not a runner type of plugin '{plugin.Name}'.", nameof(runnerType));
        }

        ILifetimeScope? scope = null;
        try
        {
            // A plain BeginLifetimeScope under the long-lived root would pin the plugin's load context. The
            // registrations run the plugin's own code (modules, IPluginServices): their failures are the plugin's.
            scope = root.BeginLoadContextLifetimeScope(
                loadContext, builder => Composition.RunnerRegistrations.AddRunner(builder, assembly, runnerType, runnerName, context));
            var runner = scope.ResolveNamed<RunnerBase>(runnerName);
            return new PluginRunnerScope(scope, plugin, runnerName, runner);
        }
        catch (Exception ex)
        {
            if (scope is not null)
            {
                await scope.DisposeAsync().ConfigureAwait(false);
            }

            var innermost = ex;
            while (innermost.InnerException is { } inner)
            {
                innermost = inner;
            }

            throw new PluginException(
                $"runner '{runnerName}': cannot create '{runnerType.FullName}' from plugin '{plugin.Name}': {PluginCatalog.OneLine(innermost.Message)}",
                ex);
        }
    }

    public ValueTask DisposeAsync() => _scope.DisposeAsync();
}
