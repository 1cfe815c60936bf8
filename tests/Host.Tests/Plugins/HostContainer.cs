using Autofac;
using Microsoft.Extensions.Logging;

namespace RunnerHost.Host.Tests.Plugins;

/// <summary>The root scope as the host builds it for plugins: logging services, registered generically.</summary>
internal static class HostContainer
{
    public static IContainer Build(ILoggerFactory loggerFactory)
    {
        var builder = new ContainerBuilder();
        builder.RegisterInstance(loggerFactory).As<ILoggerFactory>().ExternallyOwned();
        builder.RegisterGeneric(typeof(Logger<>)).As(typeof(ILogger<>));
        return builder.Build();
    }
}
