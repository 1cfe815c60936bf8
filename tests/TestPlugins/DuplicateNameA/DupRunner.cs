using RunnerHost;

namespace DuplicateNameA;

/// <summary>Same short name as in the other DuplicateName plugin.</summary>
public sealed class DupRunner(RunnerContext context) : Runner(context)
{
    public override bool IsQueueRunner => false;
}
