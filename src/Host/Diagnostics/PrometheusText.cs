using System.Text;

namespace RunnerHost.Hosting.Diagnostics;

/// <summary>Merges Prometheus text expositions of several processes: one HELP/TYPE per family, the samples of all (their labels tell them apart).</summary>
public static class PrometheusText
{
    public static string Merge(IEnumerable<string> expositions)
    {
        ArgumentNullException.ThrowIfNull(expositions);
        var families = new List<Family>();
        var byName = new Dictionary<string, Family>(StringComparer.Ordinal);
        foreach (var text in expositions)
        {
            Family? current = null;
            foreach (var raw in text.Split('\n'))
            {
                string line = raw.TrimEnd('\r');
                if (line.Length == 0)
                {
                    continue;
                }

                var fields = line.Split(' ', 4);
                if (line.StartsWith('#'))
                {
                    if (fields.Length >= 3 && fields[1] is "HELP" or "TYPE")
                    {
                        current = Get(fields[2]);
                        if (fields[1] == "HELP")
                        {
                            current.Help ??= line;
                        }
                        else
                        {
                            current.Type ??= line;
                        }
                    }

                    continue;
                }

                string name = line.Split('{', ' ')[0];
                (current is not null && name.StartsWith(current.Name, StringComparison.Ordinal) ? current : Get(name)).Samples.Add(line);
            }
        }

        var output = new StringBuilder();
        foreach (var family in families)
        {
            if (family.Help is not null)
            {
                output.Append(family.Help).Append('\n');
            }

            if (family.Type is not null)
            {
                output.Append(family.Type).Append('\n');
            }

            foreach (var sample in family.Samples)
            {
                output.Append(sample).Append('\n');
            }
        }

        return output.ToString();

        Family Get(string name)
        {
            if (!byName.TryGetValue(name, out var family))
            {
                family = new Family(name);
                byName[name] = family;
                families.Add(family);
            }

            return family;
        }
    }

    private sealed class Family(string name)
    {
        public string Name { get; } = name;

        public string? Help { get; set; }

        public string? Type { get; set; }

        public List<string> Samples { get; } = [];
    }
}
