namespace RunnerHost.Hosting.Configuration;

/// <summary>The result of parsing one configuration file or text layer.</summary>
public sealed class ParsedIni
{
    internal ParsedIni(
        string file,
        Dictionary<string, string?> data,
        Dictionary<string, ValueOrigin> origins,
        List<KeyValuePair<string, ValueOrigin>> sections,
        List<string> warnings)
    {
        File = file;
        Data = data;
        Origins = origins;
        Sections = sections;
        Warnings = warnings;
    }

    /// <summary>An empty result, before the provider has loaded.</summary>
    public static ParsedIni Empty { get; } = new(string.Empty, [], [], [], []);

    /// <summary>The file name or layer label used in messages.</summary>
    public string File { get; }

    /// <summary>Values by configuration path (<c>section:key</c>), case-insensitive.</summary>
    public IReadOnlyDictionary<string, string?> Data { get; }

    /// <summary>Origins by configuration path.</summary>
    public IReadOnlyDictionary<string, ValueOrigin> Origins { get; }

    /// <summary>Section names in order of first appearance, each with the origin of its first header.</summary>
    public IReadOnlyList<KeyValuePair<string, ValueOrigin>> Sections { get; }

    /// <summary>Problems that do not stop the file from loading (a repeated section), one line each with file and line.</summary>
    public IReadOnlyList<string> Warnings { get; }
}
