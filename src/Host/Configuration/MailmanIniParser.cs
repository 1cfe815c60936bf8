using Microsoft.Extensions.Configuration;

namespace RunnerHost.Hosting.Configuration;

/// <summary>
/// Reads Mailman/configparser-style files: <c>key: value</c> or <c>key = value</c> (the first of
/// <c>:</c>/<c>=</c> wins), full-line <c>#</c>/<c>;</c> comments, indented continuation lines and
/// <c>[section]</c> headers. Every error names the file and line; a repeated section header is merged
/// with a warning naming both lines.
/// </summary>
public static class MailmanIniParser
{
    public static ParsedIni Parse(Stream stream, string file)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(file);

        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var keyLines = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var valueLines = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        var sections = new List<KeyValuePair<string, ValueOrigin>>();
        var sectionLines = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var warnings = new List<string>();
        string? section = null;
        string? lastKey = null;

        using var reader = new StreamReader(stream, leaveOpen: true);
        int lineNumber = 0;
        for (string? raw; (raw = reader.ReadLine()) is not null;)
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (char.IsWhiteSpace(raw[0]))
            {
                if (lastKey is null)
                {
                    throw Error(file, lineNumber, $"continuation line with no previous key: '{line}'");
                }

                var parts = valueLines[lastKey];

                // "key:" followed by indented lines: the empty first line is not part of the value.
                data[lastKey] = parts.Count == 0 ? line : data[lastKey] + "\n" + line;
                parts.Add(lineNumber);
                continue;
            }

            if (line[0] == '[')
            {
                section = ParseSectionHeader(line, file, lineNumber);
                lastKey = null;
                if (sectionLines.TryAdd(section, lineNumber))
                {
                    sections.Add(new(section, new ValueOrigin(file, lineNumber, [])));
                }
                else
                {
                    // Merged as configparser does without strict mode, but named: the second header is often a copy-paste slip.
                    warnings.Add($"{file}:{lineNumber}: [{section}] repeats the section of line {sectionLines[section]}; their keys are merged");
                }

                continue;
            }

            int equals = line.IndexOf('=', StringComparison.Ordinal);
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            int delimiter = equals < 0 ? colon : colon < 0 ? equals : Math.Min(equals, colon);
            if (delimiter < 0)
            {
                throw Error(file, lineNumber, $"line has no ':' or '=' delimiter: '{line}'");
            }

            var key = line[..delimiter].Trim();
            if (key.Length == 0)
            {
                throw Error(file, lineNumber, $"empty key: '{line}'");
            }

            if (section is null)
            {
                throw Error(file, lineNumber, $"key outside any [section]: '{line}'");
            }

            var path = section + ConfigurationPath.KeyDelimiter + key;
            if (keyLines.TryGetValue(path, out var firstLine))
            {
                throw Error(file, lineNumber, $"duplicate key '{key}' in [{section}] (first set on line {firstLine})");
            }

            var value = line[(delimiter + 1)..].Trim();
            data[path] = value;
            keyLines[path] = lineNumber;
            valueLines[path] = value.Length == 0 ? [] : [lineNumber];
            lastKey = path;
        }

        var origins = new Dictionary<string, ValueOrigin>(StringComparer.OrdinalIgnoreCase);
        foreach (var (path, keyLine) in keyLines)
        {
            origins[path] = new ValueOrigin(file, keyLine, valueLines[path]);
        }

        return new ParsedIni(file, data, origins, sections, warnings);
    }

    private static string ParseSectionHeader(string line, string file, int lineNumber)
    {
        if (line[^1] != ']')
        {
            throw Error(file, lineNumber, $"unterminated section header: '{line}'");
        }

        var name = line[1..^1].Trim();
        if (name.Length == 0)
        {
            throw Error(file, lineNumber, $"empty section name: '{line}'");
        }

        // ':' is the configuration path separator; it would silently nest sections.
        if (name.Contains(ConfigurationPath.KeyDelimiter, StringComparison.Ordinal))
        {
            throw Error(file, lineNumber, $"section name must not contain ':': '{line}'");
        }

        return name;
    }

    private static ConfigurationException Error(string file, int line, string problem) => new($"{file}:{line}: {problem}");
}
