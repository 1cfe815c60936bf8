using RunnerHost;

namespace FutureAbstractionsPlugin;

/// <summary>Compiled against a contract the host does not have.</summary>
public sealed class FutureRunner(RunnerContext context) : ServiceRunner(context)
{
}
