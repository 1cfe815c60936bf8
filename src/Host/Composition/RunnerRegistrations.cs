using System.Reflection;
using Autofac;
using Microsoft.Extensions.Logging;

namespace RunnerHost.Host.Composition;

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
    /// Autofac modules of the runner's assembly, its context and settings, and the runner type, named
    /// <paramref name="runnerName"/>. An open-generic <c>ILogger&lt;&gt;</c> in the root would cache
    /// <c>ILogger&lt;PluginType&gt;</c> in the root's registry and pin a plugin's load context (measured;
    /// docs/plugins.md), so it is registered here, per scope.
    /// </summary>
    public static void AddRunner(ContainerBuilder builder, Assembly assembly, Type runnerType, string runnerName, RunnerContext context)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.RegisterGeneric(typeof(Logger<>)).As(typeof(ILogger<>));
        builder.RegisterAssemblyModules(assembly);
        builder.RegisterInstance(context).ExternallyOwned();
        builder.RegisterInstance(context.Settings).ExternallyOwned();
        builder.RegisterType(runnerType).Named<RunnerBase>(runnerName);
    }
}
