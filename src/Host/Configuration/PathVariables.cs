using System.Text.RegularExpressions;

namespace RunnerHost.Hosting.Configuration;

/// <summary>
/// Expands <c>$name</c>/<c>${name}</c> in <c>[paths]</c> values and runner values, Python
/// <c>Template.substitute</c> style: <c>$$</c> is a literal <c>$</c>, and an undefined variable is an
/// error naming file, line and key (a misspelt <c>$var_dri</c> would otherwise become a directory of
/// that name). A <c>$</c> not followed by a name (<c>$5</c>) stays as written. Path values may refer
/// to each other; loops are errors naming the key.
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
    /// <param name="value">The value as written.</param>
    /// <param name="runnerName">The value of <c>$name</c>.</param>
    /// <param name="section">The section, for errors.</param>
    /// <param name="key">The key, for errors.</param>
    /// <param name="origin">The <c>file:line</c> of the value, for errors.</param>
    /// <exception cref="ConfigurationException">The value uses an undefined variable.</exception>
    public string ExpandRunnerPath(string value, string runnerName, string section, string key, string origin)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return value;
        }

        return Path.GetFullPath(ExpandRunnerValue(value, runnerName, section, key, origin), _cwd);
    }

    /// <summary>Expands <c>$name</c> and <c>[paths]</c> variables in any other runner value (plugin settings such as <c>maildir: $archive_dir</c>).</summary>
    /// <exception cref="ConfigurationException">The value uses an undefined variable.</exception>
    public string ExpandRunnerValue(string value, string runnerName, string section, string key, string origin)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Contains('$', StringComparison.Ordinal)
            ? Substitute(
                value,
                name => string.Equals(name, "name", StringComparison.OrdinalIgnoreCase) ? runnerName : Lookup(name, []),
                name => Undefined(origin, section, key, name, withName: true))
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
        var expanded = Substitute(_raw[key], name => Lookup(name, chain), name => Undefined(_describe(key), Section, key.ToLowerInvariant(), name, withName: false));
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

    private ConfigurationException Undefined(string origin, string section, string key, string name, bool withName)
    {
        IEnumerable<string> known = [.. _raw.Keys.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal), "host_dir", "cwd"];
        if (withName)
        {
            known = known.Append("name");
        }

        string hint = KeySuggestion.Closest(name, known) is { } close ? $"did you mean ${close}? " : string.Empty;
        return ConfigurationException.ForValue(
            origin,
            section,
            key,
            $"undefined variable ${name} ({hint}known: {string.Join(", ", known.Select(k => "$" + k))}; write $$ for a literal $)");
    }

    private static string Substitute(string text, Func<string, string?> lookup, Func<string, Exception> undefined) =>
        VariablePattern().Replace(text, match =>
        {
            if (match.Groups["escaped"].Success)
            {
                return "$";
            }

            var name = match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["named"].Value;
            return lookup(name) ?? throw undefined(name);
        });

    [GeneratedRegex(@"\$(?:(?<escaped>\$)|\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?<named>[A-Za-z_][A-Za-z0-9_]*))", RegexOptions.CultureInvariant)]
    private static partial Regex VariablePattern();
}
