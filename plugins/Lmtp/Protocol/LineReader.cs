namespace RunnerHost.Plugins.Lmtp.Protocol;

/// <summary>What one read produced.</summary>
internal enum LineStatus
{
    /// <summary>A complete line (terminator removed).</summary>
    Line,

    /// <summary>A line longer than the limit; its content was discarded up to and including its terminator.</summary>
    TooLong,

    /// <summary>The peer closed the connection.</summary>
    End,
}

/// <summary>
/// Reads CRLF- (or bare LF-) terminated lines from a stream with a hard length limit, so a peer that
/// never sends a line end costs a bounded amount of memory. Keeps what it read ahead, which is what
/// makes pipelined commands work.
/// </summary>
internal sealed class LineReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    /// <summary>True when bytes the peer sent are already buffered (more pipelined commands follow).</summary>
    public bool HasBufferedData => _end > _start;

    /// <summary>Reads one line of at most <paramref name="maxLength"/> octets, not counting the terminator.</summary>
    public async ValueTask<(LineStatus Status, byte[] Line)> ReadLineAsync(int maxLength, CancellationToken cancellationToken)
    {
        var line = new List<byte>(Math.Min(maxLength, 256));
        bool tooLong = false;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
                if (_end == 0)
                {
                    return (LineStatus.End, []);
                }
            }

            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int stop = newline < 0 ? _end : newline;
            if (!tooLong)
            {
                for (int i = _start; i < stop; i++)
                {
                    line.Add(_buffer[i]);
                }

                // The CR of a CRLF split across reads is still in `line`; allow one extra octet for it.
                if (line.Count > maxLength + 1 || (line.Count == maxLength + 1 && line[^1] != (byte)'\r'))
                {
                    tooLong = true;
                    line.Clear();
                }
            }

            if (newline < 0)
            {
                _start = _end;
                continue;
            }

            _start = newline + 1;
            if (tooLong)
            {
                return (LineStatus.TooLong, []);
            }

            if (line.Count > 0 && line[^1] == (byte)'\r')
            {
                line.RemoveAt(line.Count - 1);
            }

            return line.Count > maxLength ? (LineStatus.TooLong, []) : (LineStatus.Line, [.. line]);
        }
    }
}
