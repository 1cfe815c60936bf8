namespace RunnerHost.Hosting.Configuration;

/// <summary>The "did you mean" of configuration warnings: the known name closest to a misspelt one, by edit distance.</summary>
public static class KeySuggestion
{
    /// <summary>
    /// The known name closest to <paramref name="name"/> (case-insensitive), or null when none is close:
    /// at most two edits, and no more than half the letters of the name, so that short names are not "corrected" into unrelated ones.
    /// </summary>
    public static string? Closest(string name, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(known);
        string lower = name.ToLowerInvariant();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            if (candidate.EndsWith('*'))
            {
                continue; // a declared prefix is no spelling to suggest
            }

            int distance = Quickenshtein.Levenshtein.GetDistance(lower, candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best is not null && bestDistance is > 0 and <= 2 && bestDistance * 2 <= name.Length ? best : null;
    }

    /// <summary><c>; did you mean `x`?</c>, or an empty text when nothing is close.</summary>
    public static string Hint(string name, IEnumerable<string> known) =>
        Closest(name, known) is { } suggestion ? $"; did you mean `{suggestion}`?" : string.Empty;
}
