namespace RunnerHost.Hosting.Configuration;

/// <summary>
/// Where a value was set: the file (or <c>&lt;layer NAME&gt;</c>, <c>&lt;defaults&gt;</c>) and line of its key,
/// plus the line of each <c>\n</c>-separated part of a multi-line value so list entries can be reported precisely.
/// </summary>
public sealed record ValueOrigin(string File, int Line, IReadOnlyList<int> ValueLines)
{
    /// <summary>The label of the built-in defaults layer.</summary>
    public const string DefaultsFile = "<defaults>";

    /// <summary>Whether the value comes from the built-in defaults.</summary>
    public bool IsDefault => File == DefaultsFile;

    /// <summary>The line of the <paramref name="index"/>-th part of the value, falling back to the key's line.</summary>
    public int LineOfPart(int index) => index >= 0 && index < ValueLines.Count ? ValueLines[index] : Line;

    /// <summary>The <c>file:line</c> of the <paramref name="index"/>-th part of the value.</summary>
    public string DescribePart(int index) => $"{File}:{LineOfPart(index)}";

    public override string ToString() => $"{File}:{Line}";
}
