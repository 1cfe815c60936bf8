using Newtonsoft.Json;
using RunnerHost;

namespace NoDynamicLoadingPlugin;

/// <summary>Needs Newtonsoft.Json, which a build without EnableDynamicLoading leaves out of the plugin folder.</summary>
public sealed class NoDynRunner(RunnerContext context) : ServiceRunner(context)
{
    public static string Serialize(object value) => JsonConvert.SerializeObject(value);
}
