using Newtonsoft.Json;
using RunnerHost;

namespace MissingDependencyPlugin;

/// <summary>References Newtonsoft.Json, whose dll the test removes.</summary>
public sealed class NeedsJsonRunner(RunnerContext context) : ServiceRunner(context)
{
    public static string Serialize(object value) => JsonConvert.SerializeObject(value);
}
