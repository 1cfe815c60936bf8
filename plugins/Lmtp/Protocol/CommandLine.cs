using System.Text;

namespace RunnerHost.Plugins.Lmtp.Protocol;

/// <summary>One command line split into its verb (upper case) and the rest.</summary>
internal readonly record struct CommandLine(string Verb, string Argument)
{
    public static CommandLine Parse(byte[] line)
    {
        // Latin-1 maps every octet to one char, so garbage never throws and lengths are preserved.
        string text = Encoding.Latin1.GetString(line);
        int space = text.IndexOf(' ', StringComparison.Ordinal);
        return space < 0
            ? new CommandLine(text.ToUpperInvariant(), string.Empty)
            : new CommandLine(text[..space].ToUpperInvariant(), text[(space + 1)..].Trim());
    }
}

/// <summary>Parses <c>FROM:&lt;path&gt; params</c> and <c>TO:&lt;path&gt; params</c>.</summary>
internal static class PathArgument
{
    /// <summary>Parses the argument of MAIL or RCPT; false on a syntax error. The null path <c>&lt;&gt;</c> gives an empty address.</summary>
    public static bool TryParse(string argument, string prefix, out string address, out IReadOnlyList<string> parameters)
    {
        address = string.Empty;
        parameters = [];
        if (!argument.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string rest = argument[prefix.Length..].TrimStart();
        if (!rest.StartsWith('<'))
        {
            return false;
        }

        int close = rest.IndexOf('>', StringComparison.Ordinal);
        if (close < 0)
        {
            return false;
        }

        string path = rest[1..close];
        // A source route (<@a,@b:user@host>) is allowed by RFC 5321 and ignored.
        if (path.StartsWith('@') && path.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon)
        {
            path = path[(colon + 1)..];
        }

        if (path.Any(c => c is ' ' or '<' or '>' || char.IsControl(c)))
        {
            return false;
        }

        address = path;
        parameters = rest[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return true;
    }
}
