using Microsoft.Extensions.Configuration;

namespace RunnerHost.Hosting.Configuration;

/// <summary>
/// The origins and section order of a built configuration root, merged over its layers
/// (later layers win), for error messages and for keeping sections in file order.
/// </summary>
public sealed class ConfigurationIndex
{
    private readonly Dictionary<string, ValueOrigin> _origins = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ValueOrigin> _sectionOrigins = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _sections = [];
    private readonly List<string> _warnings = [];

    public ConfigurationIndex(IConfigurationRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var provider in root.Providers.OfType<IParsedIniProvider>())
        {
            var parsed = provider.Parsed;
            _warnings.AddRange(parsed.Warnings);
            foreach (var (path, origin) in parsed.Origins)
            {
                _origins[path] = origin;
            }

            foreach (var (section, origin) in parsed.Sections)
            {
                if (!_sectionOrigins.ContainsKey(section))
                {
                    _sections.Add(section);
                }

                _sectionOrigins[section] = origin;
            }
        }
    }

    /// <summary>Section names in order of first appearance (defaults first), with their first spelling.</summary>
    public IReadOnlyList<string> Sections => _sections;

    /// <summary>The parsers' warnings, layer by layer.</summary>
    public IReadOnlyList<string> ParseWarnings => _warnings;

    /// <summary>The origin of a value, or null when no layer set it.</summary>
    public ValueOrigin? GetOrigin(string section, string key) =>
        _origins.TryGetValue(section + ConfigurationPath.KeyDelimiter + key, out var origin) ? origin : null;

    /// <summary>The header of the section in the latest layer that has it, or null.</summary>
    public ValueOrigin? GetSectionOrigin(string section) =>
        _sectionOrigins.TryGetValue(section, out var origin) ? origin : null;

    /// <summary>Where to point an operator for a key: the value's origin, else the section header's, else a generic text.</summary>
    public string Describe(string section, string key) =>
        GetOrigin(section, key)?.ToString() ?? GetSectionOrigin(section)?.ToString() ?? "the configuration";
}
