using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RunnerHost.Composition;

namespace ServicesPlugin;

/// <summary>What the runner takes: registered through IServiceCollection (contract 2.4), no Autofac in this plugin.</summary>
public interface IGreeter
{
    /// <summary>Which instance this is, so a test can tell one singleton from several.</summary>
    Guid Instance { get; }

    string Greet(string? subject);
}

/// <summary>Options registered as an instance, taken by the greeter's constructor.</summary>
public sealed record GreetingOptions(string Salutation);

internal sealed class Greeter(GreetingOptions options, ILogger<Greeter> logger) : IGreeter
{
    public Guid Instance { get; } = Guid.NewGuid();

    public string Greet(string? subject)
    {
        logger.LogInformation("greeting {Subject}", subject);
        return $"{options.Salutation}, {subject}";
    }
}

/// <summary>Found by the host in the plugin's assembly and called when it builds a runner of this plugin.</summary>
public sealed class GreetingServices : IPluginServices
{
    public void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton(new GreetingOptions("Hello"));
        services.AddSingleton<IGreeter, Greeter>();
    }
}
