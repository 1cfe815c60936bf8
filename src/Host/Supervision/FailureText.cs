using System.Globalization;

namespace RunnerHost.Hosting.Supervision;

/// <summary>Short texts for logs and status built from what a runner or a child reported.</summary>
public static class FailureText
{
    /// <summary>One line of at most <see cref="HeartbeatLine.MaxReasonLength"/> characters: a plugin's exception message can hold anything.</summary>
    public static string OneLine(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string line = string.Join(' ', text.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        line = new string([.. line.Select(c => char.IsControl(c) ? ' ' : c)]);
        return line.Length <= HeartbeatLine.MaxReasonLength ? line : string.Concat(line.AsSpan(0, HeartbeatLine.MaxReasonLength), "…");
    }

    /// <summary>A pid for a log line, or <c>unknown</c>.</summary>
    public static string Pid(int? pid) => pid?.ToString(CultureInfo.InvariantCulture) ?? "unknown";
}
