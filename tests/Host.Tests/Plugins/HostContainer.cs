using Autofac;
using Microsoft.Extensions.Logging;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>
/// The root scope as the host builds it for plugins: the logger factory only. PluginRunnerScope adds
/// ILogger&lt;T&gt; per plugin scope; an open-generic ILogger&lt;&gt; here would pin plugin load contexts.
/// </summary>
internal static class HostContainer
{
    public static IContainer Build(ILoggerFactory loggerFactory)
    {
        var builder = new ContainerBuilder();
        builder.RegisterInstance(loggerFactory).As<ILoggerFactory>().ExternallyOwned();
        return builder.Build();
    }
}
