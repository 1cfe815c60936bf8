using System.Globalization;
using System.Text;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Messages;

/// <summary>
/// Mailman's <c>dump_msgdata</c> format: keys sorted ordinally, padded to the longest shown key,
/// values rendered like Python's <c>str</c>; <c>received_time</c> always hidden; <c>*Empty*</c> when nothing is shown.
/// </summary>
public static class MetadataDump
{
    public static string Format(MessageData metadata, params string[] hiddenKeys)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var hidden = new HashSet<string>(hiddenKeys, StringComparer.Ordinal) { MessageDataKeys.ReceivedTime };
        var keys = metadata.Keys.Where(k => !hidden.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (keys.Count == 0)
        {
            return "*Empty*\n";
        }

        int width = keys.Max(k => k.Length);
        var text = new StringBuilder();
        foreach (var key in keys)
        {
            text.Append(key.PadRight(width)).Append(": ").Append(Render(metadata[key])).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Renders a value the way Python's <c>str()</c> would.</summary>
    public static string Render(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        string s => s,
        double d => d == Math.Floor(d) && Math.Abs(d) < 1e16 ? d.ToString("F1", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        MessageData nested => "{" + string.Join(", ", nested.Select(p => $"'{p.Key}': {Repr(p.Value)}")) + "}",
        IEnumerable<object?> list => "[" + string.Join(", ", list.Select(Repr)) + "]",
        _ => value.ToString() ?? string.Empty,
    };

    private static string Repr(object? value) => value is string s ? $"'{s}'" : Render(value);
}
