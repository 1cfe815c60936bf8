using RunnerHost;

namespace DuplicateNameB;

/// <summary>Same short name as in the other DuplicateName plugin.</summary>
public sealed class DupRunner(RunnerContext context) : ServiceRunner(context)
{
}
