using System.Reflection;
using Autofac;
using Autofac.Core;
using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;

namespace RunnerHost.Host.Composition;

/// <summary>
/// Creates a runner with Autofac, injecting the host services a runner constructor may ask for:
/// the <see cref="RunnerContext"/>, its settings, the queues, the lists, the events, the clock and <c>ILogger&lt;T&gt;</c>.
/// </summary>
public sealed class RunnerActivator(RunnerTypeResolver resolver, HostServices services)
{
    public RunnerInstance Create(RunnerSettings settings, int slice = 0, int sliceCount = 1)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var runnerType = resolver.Resolve(settings);
        var context = services.CreateContext(settings, slice, sliceCount);
        var builder = new ContainerBuilder();
        builder.RegisterInstance(context);
        builder.RegisterInstance(settings);
        builder.RegisterInstance(services.Queues);
        builder.RegisterInstance(services.Lists);
        builder.RegisterInstance(services.Events);
        builder.RegisterInstance(services.Clock);
        builder.RegisterInstance(services.LoggerFactory);
        builder.RegisterGeneric(typeof(Logger<>)).As(typeof(ILogger<>)).SingleInstance();
        builder.RegisterType(runnerType).Named<Runner>(settings.Name).As(runnerType);
        var container = builder.Build();
        try
        {
            return new RunnerInstance(container.ResolveNamed<Runner>(settings.Name), container);
        }
        catch (DependencyResolutionException ex)
        {
            container.Dispose();
            var cause = Innermost(ex);
            throw new RunnerCreationException(
                settings.Describe("class", $"could not create {runnerType.FullName}: {cause.GetType().Name}: {cause.Message}"),
                ex);
        }
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is { } inner && ex is DependencyResolutionException or TargetInvocationException)
        {
            ex = inner;
        }

        return ex;
    }
}

/// <summary>A created runner and the container scope that owns its dependencies; dispose after the runner stopped.</summary>
public sealed class RunnerInstance(Runner runner, IContainer container) : IAsyncDisposable
{
    public Runner Runner { get; } = runner;

    public ValueTask DisposeAsync() => container.DisposeAsync();
}
