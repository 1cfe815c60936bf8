using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RunnerHost.Bench;

/// <summary>
/// An operator's configuration made safe to run beside a real master: every <c>*_port</c> key with a
/// number gets a free loopback port, and <c>[paths] var_dir</c> becomes the benchmark's own (other paths
/// follow it when they are derived from it, as the defaults are). Everything else is kept, line for line.
/// </summary>
internal static partial class BenchConfiguration
{
    public static string Rewrite(string text, string varDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new StringBuilder(text.Length + 64);
        string? section = null;
        bool varDirWritten = false;
        foreach (string line in text.Split('\n'))
        {
            string content = line.TrimEnd('\r');
            if (SectionLine().Match(content) is { Success: true } header)
            {
                if (IsPaths(section) && !varDirWritten)
                {
                    AppendVarDir(output, varDirectory);
                    varDirWritten = true;
                }

                section = header.Groups[1].Value.Trim();
            }
            else if (KeyLine().Match(content) is { Success: true } key)
            {
                string name = key.Groups[1].Value;
                if (IsPaths(section) && name.Equals("var_dir", StringComparison.OrdinalIgnoreCase))
                {
                    AppendVarDir(output, varDirectory);
                    varDirWritten = true;
                    continue;
                }

                if (name.EndsWith("_port", StringComparison.OrdinalIgnoreCase) && PortValue().IsMatch(key.Groups[2].Value))
                {
                    output.Append(CultureInfo.InvariantCulture, $"{name}: {LoopbackPort.Free()}\n");
                    continue;
                }
            }

            output.Append(content).Append('\n');
        }

        if (!varDirWritten)
        {
            // No [paths] var_dir at all (or [paths] last): a section of its own at the end.
            output.Append(IsPaths(section) ? string.Empty : "\n[paths]\n");
            AppendVarDir(output, varDirectory);
        }

        return output.ToString();
    }

    private static bool IsPaths(string? section) => string.Equals(section, "paths", StringComparison.OrdinalIgnoreCase);

    private static void AppendVarDir(StringBuilder output, string varDirectory) =>
        output.Append(CultureInfo.InvariantCulture, $"var_dir: {varDirectory}\n");

    [GeneratedRegex(@"^\[([^\]]+)\]\s*$")]
    private static partial Regex SectionLine();

    // "key: value" or "key = value" at the start of a line (indented lines continue a value).
    [GeneratedRegex(@"^([A-Za-z0-9_.]+)\s*[:=]\s*(.*)$")]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"^\d{1,5}\s*$")]
    private static partial Regex PortValue();
}
