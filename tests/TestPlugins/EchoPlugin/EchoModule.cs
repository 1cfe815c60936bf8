using Autofac;

namespace EchoPlugin;

/// <summary>A service the runner takes in its constructor, registered by the plugin's own module.</summary>
public interface ISubjectFormatter
{
    string Format(string? subject);
}

internal sealed class BracketFormatter : ISubjectFormatter
{
#if ECHO_ANGLE
    // The second build (-p:EchoStyle=angle) formats differently, so a reload test can tell the versions apart.
    public string Format(string? subject) => "<" + subject + ">";
#else
    public string Format(string? subject) => "[" + subject + "]";
#endif
}

/// <summary>Picked up by the host's RegisterAssemblyModules.</summary>
public sealed class EchoModule : Module
{
    protected override void Load(ContainerBuilder builder) =>
        builder.RegisterType<BracketFormatter>().As<ISubjectFormatter>();
}
