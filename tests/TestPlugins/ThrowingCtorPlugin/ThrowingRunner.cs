using RunnerHost;

namespace ThrowingCtorPlugin;

/// <summary>Fails in its constructor, as a runner with a bad setting would.</summary>
public sealed class ThrowingRunner : Runner
{
    public ThrowingRunner(RunnerContext context)
        : base(context) =>
        throw new InvalidOperationException("the frobnicator is not configured");
}
