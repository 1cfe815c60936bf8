using Autofac;

namespace MyRunner;

/// <summary>
/// Registers the plugin's own services. The host finds every public Autofac module in the plugin's
/// assembly and loads it into each runner's scope, so what it registers is seen by this plugin only.
/// </summary>
public sealed class MyRunnerModule : Module
{
    /// <inheritdoc/>
    protected override void Load(ContainerBuilder builder) => builder.RegisterType<LineFormatter>().SingleInstance();
}
