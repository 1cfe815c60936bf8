using System.Text.RegularExpressions;

namespace RunnerHost.Host.Configuration;

/// <summary>
/// Expands <c>$name</c>/<c>${name}</c> in <c>[paths]</c> values and runner paths, Python
/// <c>Template.safe_substitute</c> style: unknown variables stay as written, <c>$$</c> is a literal <c>$</c>.
/// Path values may refer to each other; loops are errors naming the key.
/// </summary>
public sealed partial class PathVariables
{
    public const string Section = "paths";

    private readonly Dictionary<string, string> _raw;
    private readonly Func<string, string> _describe;
    private readonly Dictionary<string, string> _resolved = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _hostDir;
    private readonly string _cwd;

    /// <param name="raw">The unexpanded <c>[paths]</c> values.</param>
    /// <param name="describe">Gives the <c>file:line</c> of a <c>[paths]</c> key, for errors.</param>
    /// <param name="hostDir">The value of <c>$host_dir</c>.</param>
    /// <param name="cwd">The value of <c>$cwd</c>; relative results are made absolute against it.</param>
    public PathVariables(IReadOnlyDictionary<string, string> raw, Func<string, string> describe, string hostDir, string cwd)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(describe);
        _raw = new Dictionary<string, string>(raw, StringComparer.OrdinalIgnoreCase);
        _describe = describe;
        _hostDir = Path.TrimEndingDirectorySeparator(hostDir);
        _cwd = Path.TrimEndingDirectorySeparator(cwd);
    }

    /// <summary>The expanded absolute value of a <c>[paths]</c> key.</summary>
    public string Get(string key) => Resolve(key, []);

    /// <summary>Expands a runner's <c>path</c>, where <c>$name</c> is the runner name; empty stays empty (no queue).</summary>
    public string ExpandRunnerPath(string value, string runnerName)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return value;
        }

        var expanded = Substitute(value, name => string.Equals(name, "name", StringComparison.OrdinalIgnoreCase) ? runnerName : Lookup(name, []));
        return Path.GetFullPath(expanded, _cwd);
    }

    /// <summary>Expands <c>$name</c> and <c>[paths]</c> variables in any other runner value (plugin settings such as <c>maildir: $archive_dir</c>); unknown variables stay as they are.</summary>
    public string ExpandRunnerValue(string value, string runnerName)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Contains('$', StringComparison.Ordinal)
            ? Substitute(value, name => string.Equals(name, "name", StringComparison.OrdinalIgnoreCase) ? runnerName : Lookup(name, []))
            : value;
    }

    private string Resolve(string key, List<string> chain)
    {
        if (_resolved.TryGetValue(key, out var done))
        {
            return done;
        }

        if (chain.Contains(key, StringComparer.OrdinalIgnoreCase))
        {
            var loop = string.Join(" -> ", chain.SkipWhile(k => !string.Equals(k, key, StringComparison.OrdinalIgnoreCase)).Append(key).Select(k => k.ToLowerInvariant()));
            throw ConfigurationException.ForValue(_describe(key), Section, key.ToLowerInvariant(), $"$-variable loop: {loop}");
        }

        chain.Add(key);
        var expanded = Substitute(_raw[key], name => Lookup(name, chain));
        chain.RemoveAt(chain.Count - 1);
        var full = expanded.Length == 0 ? expanded : Path.GetFullPath(expanded, _cwd);
        _resolved[key] = full;
        return full;
    }

    private string? Lookup(string name, List<string> chain)
    {
        if (_raw.ContainsKey(name))
        {
            return Resolve(name, chain);
        }

        return name.ToLowerInvariant() switch
        {
            "host_dir" => _hostDir,
            "cwd" => _cwd,
            _ => null,
        };
    }

    private static string Substitute(string text, Func<string, string?> lookup) =>
        VariablePattern().Replace(text, match =>
        {
            if (match.Groups["escaped"].Success)
            {
                return "$";
            }

            var name = match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["named"].Value;
            return lookup(name) ?? match.Value;
        });

    [GeneratedRegex(@"\$(?:(?<escaped>\$)|\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?<named>[A-Za-z_][A-Za-z0-9_]*))", RegexOptions.CultureInvariant)]
    private static partial Regex VariablePattern();
}
