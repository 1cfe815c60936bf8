namespace RunnerHost.Hosting.Operations;

/// <summary>Splits raw message text into unfolded headers and body without a MIME parser, so damaged or partial messages still show.</summary>
public static class MessageText
{
    public static (IReadOnlyList<(string Name, string Value)> Headers, string Body) Split(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var headers = new List<(string Name, string Value)>();
        int position = 0;
        while (position < raw.Length)
        {
            int end = raw.IndexOf('\n', position);
            int next = end < 0 ? raw.Length : end + 1;
            string line = raw[position..(end < 0 ? raw.Length : end)].TrimEnd('\r');
            if (line.Length == 0)
            {
                return (headers, raw[next..]);
            }

            if (line[0] is ' ' or '\t' && headers.Count > 0)
            {
                var (name, value) = headers[^1];
                headers[^1] = (name, value + " " + line.Trim());
            }
            else
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                headers.Add(colon > 0 ? (line[..colon], line[(colon + 1)..].Trim()) : (string.Empty, line));
            }

            position = next;
        }

        return (headers, string.Empty);
    }
}
