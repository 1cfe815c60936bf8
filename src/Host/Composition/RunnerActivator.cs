using Autofac;
using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Composition;

/// <summary>
/// Creates runners from plugins: resolves a section's <c>class</c> among the loaded plugins and builds
/// the runner in a lifetime scope tied to the plugin's load context, so a stopped runner's plugin can
/// be collected. In a host process the runner scopes are begun under the process's one container
/// (<see cref="HostServices.Root"/>), through a scope of this generation that adds its plugin directory;
/// used on its own (tests, the testing package) it builds a container of host services. Neither holds open
/// generics over plugin types: those would pin load contexts (docs/plugins.md).
/// </summary>
public sealed class RunnerActivator : IAsyncDisposable
{
    private readonly HostServices _services;
    private readonly RunnerTypeIndex _types;
    private readonly ILifetimeScope _root;
    private readonly ILogger _configurationLogger;

    public RunnerActivator(HostServices services, PluginCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(catalog);
        _services = services;
        _types = new RunnerTypeIndex(catalog);
        _configurationLogger = services.LoggerFactory.CreateLogger(HostConfiguration.LogCategory);
        var directory = new CatalogPluginDirectory(catalog);
        if (services.Root is { } processRoot)
        {
            // The catalog is the host's own type: a plain child scope pins no plugin.
            _root = processRoot.BeginLifetimeScope(builder => builder.RegisterInstance<RunnerHost.Operations.IPluginDirectory>(directory));
        }
        else
        {
            var builder = new ContainerBuilder();
            // Host operations a plugin runner's constructor may take (docs/plugins.md, "host services").
            RunnerRegistrations.AddHostServices(builder, services);
            builder.RegisterInstance<RunnerHost.Operations.IPluginDirectory>(directory);
            _root = builder.Build();
        }
    }

    /// <summary>Creates the runner of one slice; dispose the result after the runner stopped.</summary>
    /// <exception cref="RunnerCreationException">One line naming file, line and the cause.</exception>
    public async Task<PluginRunnerScope> CreateAsync(RunnerSettings settings, int slice = 0, int sliceCount = 1)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrWhiteSpace(settings.ClassName))
        {
            throw new RunnerCreationException(settings.Describe("class", "no runner class given"));
        }

        try
        {
            var runnerType = Resolve(settings);
            var plugin = _types.PluginOf(runnerType);
            if (slice == 0)
            {
                // Once per runner (every runner has a slice 0), before its constructor reads the settings.
                foreach (var warning in RunnerKeyCheck.Check(_services.Configuration, settings, runnerType))
                {
                    _configurationLogger.LogWarning("{Warning}", warning);
                }
            }

            var context = _services.CreateContext(settings, slice, sliceCount);
            return await PluginRunnerScope.CreateAsync(_root, plugin, runnerType, settings.Name, context).ConfigureAwait(false);
        }
        catch (PluginException ex)
        {
            throw new RunnerCreationException(ex.Message, ex);
        }
    }

    /// <summary>The plugin that defines <paramref name="settings"/>' runner type.</summary>
    /// <exception cref="RunnerCreationException">The class cannot be resolved; one line naming file, line and the cause.</exception>
    public PluginInfo PluginOf(RunnerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            return _types.PluginOf(Resolve(settings));
        }
        catch (PluginException ex)
        {
            throw new RunnerCreationException(ex.Message, ex);
        }
    }

    public ValueTask DisposeAsync() => _root.DisposeAsync();

    private Type Resolve(RunnerSettings settings) =>
        string.IsNullOrWhiteSpace(settings.ClassName)
            ? throw new PluginException(settings.Describe("class", "no runner class given"))
            : _types.Resolve(settings.ClassName.Trim(), $"{settings.GetOrigin("class") ?? "(built-in default)"}: [runner.{settings.Name}] class");
}
