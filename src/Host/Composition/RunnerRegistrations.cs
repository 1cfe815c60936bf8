using System.Reflection;
using Autofac;
using Autofac.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RunnerHost.Composition;

namespace RunnerHost.Hosting.Composition;

/// <summary>
/// What a runner's constructor can take, registered the same way wherever a runner is built: by the
/// host from a plugin, and by the testing package from an author's test (docs/plugins.md).
/// </summary>
public static class RunnerRegistrations
{
    /// <summary>The host services every runner may take, as shared instances in the long-lived root.</summary>
    public static void AddHostServices(ContainerBuilder builder, HostServices services)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(services);
        builder.RegisterInstance(services.Queues).ExternallyOwned();
        builder.RegisterInstance(services.Inspector).ExternallyOwned();
        builder.RegisterInstance(services.Lists).ExternallyOwned();
        builder.RegisterInstance(services.Events).ExternallyOwned();
        builder.RegisterInstance(services.Clock).ExternallyOwned();
        builder.RegisterInstance(services.LoggerFactory).ExternallyOwned();
        builder.RegisterInstance(services.ShuntReplay).ExternallyOwned();
        builder.RegisterInstance(services.Metrics).ExternallyOwned();
    }

    /// <summary>
    /// The runner's own scope: <c>ILogger&lt;T&gt;</c> (from the root's <see cref="ILoggerFactory"/>), the
    /// Autofac modules of the runner's assembly and the services its <see cref="IPluginServices"/> classes add,
    /// its context and settings, and the runner type, named
    /// <paramref name="runnerName"/>. An open-generic <c>ILogger&lt;&gt;</c> in the root would cache
    /// <c>ILogger&lt;PluginType&gt;</c> in the root's registry and pin a plugin's load context (measured;
    /// docs/plugins.md), so it is registered here, per scope.
    /// </summary>
    public static void AddRunner(ContainerBuilder builder, Assembly assembly, Type runnerType, string runnerName, RunnerContext context)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.RegisterGeneric(typeof(Logger<>)).As(typeof(ILogger<>));
        builder.RegisterAssemblyModules(assembly);
        AddPluginServices(builder, assembly);
        builder.RegisterInstance(context).ExternallyOwned();
        builder.RegisterInstance(context.Settings).ExternallyOwned();
        builder.RegisterType(runnerType).Named<RunnerBase>(runnerName);
    }

    /// <exception cref="InvalidOperationException">An <see cref="IPluginServices"/> class has no public parameterless constructor, or its <c>ConfigureServices</c> failed.</exception>
    private static void AddPluginServices(ContainerBuilder builder, Assembly assembly)
    {
        var services = new ServiceCollection();
        foreach (var type in assembly.GetExportedTypes().Where(t => t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false } && typeof(IPluginServices).IsAssignableFrom(t)))
        {
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                throw new InvalidOperationException($"'{type.FullName}' implements IPluginServices but has no public parameterless constructor");
            }

            ((IPluginServices)Activator.CreateInstance(type)!).ConfigureServices(services);
        }

        if (services.Count > 0)
        {
            // Registered in the runner's scope: its singletons are the scope's, disposed with it, never the root's
            // (which would pin the plugin's load context).
            builder.Populate(services);
        }
    }
}
