using Microsoft.Extensions.DependencyInjection;

namespace RunnerHost.Composition;

/// <summary>
/// Registers a plugin's services through Microsoft.Extensions.DependencyInjection, for authors who would
/// rather not write an Autofac module (added in 2.4; modules work as before, and a plugin may have both).
/// The host creates each public, non-abstract class of the plugin's assembly that implements this interface
/// (it needs a parameterless constructor) and calls <see cref="ConfigureServices"/> whenever it builds a runner
/// of that plugin; the services live in that runner's scope, beside the host services a constructor may take
/// (docs/plugins.md). A singleton is one instance per runner slice and is disposed when the runner stops or its
/// plugin is reloaded.
/// </summary>
public interface IPluginServices
{
    /// <summary>Adds the plugin's services; called once per runner built, so it must not keep state between calls.</summary>
    /// <param name="services">The collection the runner's scope is built from.</param>
    void ConfigureServices(IServiceCollection services);
}
