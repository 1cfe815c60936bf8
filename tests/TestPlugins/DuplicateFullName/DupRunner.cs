using RunnerHost;

// The same full name as DuplicateNameA's runner: a fork of that plugin, say.
namespace DuplicateNameA;

/// <summary>Defines <c>DuplicateNameA.DupRunner</c> in a plugin of another name.</summary>
public sealed class DupRunner(RunnerContext context) : ServiceRunner(context)
{
}
