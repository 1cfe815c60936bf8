using RunnerHost;

namespace NotARunnerPlugin;

/// <summary>Named in a configuration by mistake: not a runner.</summary>
public sealed class NotARunner
{
    public override string ToString() => nameof(NotARunner);
}

/// <summary>A runner base the configuration must not name.</summary>
public abstract class AbstractRunner(RunnerContext context) : Runner(context)
{
}
