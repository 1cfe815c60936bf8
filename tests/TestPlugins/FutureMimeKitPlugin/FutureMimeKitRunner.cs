using RunnerHost;

namespace FutureMimeKitPlugin;

/// <summary>Compiled against a MimeKit newer than the host's.</summary>
public sealed class FutureMimeKitRunner(RunnerContext context) : ServiceRunner(context)
{
    public static string Feature => MimeKit.FutureFeature.Name;
}
