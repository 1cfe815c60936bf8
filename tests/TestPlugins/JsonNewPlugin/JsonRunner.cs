using Newtonsoft.Json;
using RunnerHost;

namespace JsonNewPlugin;

/// <summary>Reports which Newtonsoft.Json this plugin got, after using it.</summary>
public sealed class JsonNewRunner(RunnerContext context) : ServiceRunner(context)
{
    private static readonly string[] _sample = ["a", "b"];

    public static string NewtonsoftVersion()
    {
        // Exercise the library with host types only: serializing plugin types would pin the load context.
        string json = JsonConvert.SerializeObject(_sample);
        _ = JsonConvert.DeserializeObject<string[]>(json);
        return typeof(JsonConvert).Assembly.GetName().Version!.ToString();
    }
}
