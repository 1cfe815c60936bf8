using Autofac;
using Autofac.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using RunnerHost.Events;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Diagnostics;
using RunnerHost.Hosting.Engine;
using RunnerHost.Inspection;
using RunnerHost.Lists;
using RunnerHost.Operations;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Composition;

/// <summary>
/// The composition of every host process, written once: a runner process adds it to its Generic Host's
/// builder, the master and the other commands build a container from it directly. Autofac is the
/// container in both (one root per process); runner scopes and the list manager plugin's scope are begun
/// under that root, bound to their plugin's load context (<see cref="Plugins.PluginRunnerScope"/>).
/// </summary>
public static class HostComposition
{
    /// <summary>The host's own services: configuration, logging, clock; the host services and what they hold are in <see cref="ConfigureContainer"/>.</summary>
    public static IServiceCollection AddRunnerHost(this IServiceCollection services, HostConfiguration configuration, LogSetup logging)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(logging);
        services.AddSingleton(configuration);
        services.AddLogging(builder =>
        {
            builder.ClearProviders();
            logging.AddTo(builder);
        });
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>
    /// The host services (one instance per process, created on first use: the list manager plugin is loaded
    /// then), and what a runner's constructor may take from them (docs/plugins.md, "host services").
    /// </summary>
    public static void ConfigureContainer(ContainerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Register(c =>
            {
                var configuration = c.Resolve<HostConfiguration>();
                var root = c.Resolve<ILifetimeScope>();
                var hostServices = new HostServices(configuration, c.Resolve<ILoggerFactory>(), c.Resolve<TimeProvider>())
                {
                    Root = root,
                    Outcomes = c.ResolveOptional<IEntryOutcomes>(),
                };
                if (c.Resolve<ListManagerPlugin>().Manager is { } lists)
                {
                    hostServices.UseListManager(lists);
                }

                return hostServices;
            })
            .SingleInstance();
        builder.Register(c => new ListManagerPlugin(PluginListManager.Load(c.Resolve<HostConfiguration>(), c.Resolve<ILifetimeScope>())))
            .SingleInstance();
        builder.Register(c => c.Resolve<HostServices>().Queues).As<IQueueRegistry>().ExternallyOwned();
        builder.Register(c => c.Resolve<HostServices>().Inspector).As<IQueueInspector>().ExternallyOwned();
        builder.Register(c => c.Resolve<HostServices>().Lists).As<IListManager>().ExternallyOwned();
        builder.Register(c => c.Resolve<HostServices>().Events).As<IRunnerEvents>().ExternallyOwned();
        builder.Register(c => c.Resolve<HostServices>().ShuntReplay).As<IShuntReplay>().ExternallyOwned();
        builder.Register(c => c.Resolve<HostServices>().Metrics).As<IMetricsExporter>().ExternallyOwned();
    }

    /// <summary>Builds the container of a process without a Generic Host (the master and the other commands).</summary>
    public static AutofacServiceProvider BuildProvider(IServiceCollection services)
    {
        var factory = new AutofacServiceProviderFactory(ConfigureContainer);
        return (AutofacServiceProvider)factory.CreateServiceProvider(factory.CreateBuilder(services));
    }

    /// <summary>
    /// Resolves the host services at once, so that a failure to create them (a list manager plugin that does
    /// not load) is the one line of its own exception, not a container resolution error around it.
    /// </summary>
    /// <exception cref="RunnerCreationException">The list manager plugin cannot be loaded or created.</exception>
    public static HostServices ResolveHostServices(IServiceProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        try
        {
            return provider.GetRequiredService<HostServices>();
        }
        catch (Exception ex) when (ex is InvalidOperationException or Autofac.Core.DependencyResolutionException && OwnFailure(ex) is { } own)
        {
            // The container wraps it twice (Autofac's resolution error, inside the service provider's).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(OwnFailure(ex)!);
            throw;
        }
    }

    private static Exception? OwnFailure(Exception ex)
    {
        for (Exception? cause = ex; cause is not null; cause = cause.InnerException)
        {
            if (cause is RunnerCreationException or ConfigurationException or RunnerHost.Configuration.ConfigurationValueException)
            {
                return cause;
            }
        }

        return null;
    }
}
