namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// A type as a configuration names it: <c>TYPE</c> (a full or short type name, searched in every
/// plugin) or <c>PLUGIN:TYPE</c> (searched in that plugin only, the folder name), for when two plugins
/// define the same full name. A colon cannot appear in a .NET type name, so the form is unambiguous.
/// </summary>
public sealed record PluginTypeName(string? Plugin, string Type)
{
    /// <exception cref="PluginException">An empty plugin or type part; one line.</exception>
    public static PluginTypeName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return new PluginTypeName(null, text.Trim());
        }

        string plugin = text[..colon].Trim();
        string type = text[(colon + 1)..].Trim();
        if (plugin.Length == 0 || type.Length == 0 || type.Contains(':', StringComparison.Ordinal))
        {
            throw new PluginException($"'{text.Trim()}' is not TYPE or PLUGIN:TYPE");
        }

        return new PluginTypeName(plugin, type);
    }

    /// <summary>The short name of a full type name: after the last '.' or '+'.</summary>
    internal static string ShortNameOf(string fullName) => fullName[(fullName.LastIndexOfAny(['.', '+']) + 1)..];

    public override string ToString() => Plugin is null ? Type : $"{Plugin}:{Type}";
}
