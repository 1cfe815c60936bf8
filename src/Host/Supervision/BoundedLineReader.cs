using System.Text;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// Reads UTF-8 lines from a child's stdout, at most <see cref="MaxLineLength"/> characters each: a plugin
/// may write anything there, and an endless line must not grow the master's memory. The rest of an
/// over-long line is dropped.
/// </summary>
public sealed class BoundedLineReader
{
    public const int MaxLineLength = 16 * 1024;

    private readonly Stream _stream;
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private readonly byte[] _bytes = new byte[4096];
    private readonly char[] _chars = new char[4096 + 1];
    private readonly StringBuilder _line = new();
    private int _charCount;
    private int _charPosition;

    public BoundedLineReader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
    }

    /// <summary>The next line without its end, or null at end of stream (a final unterminated line is returned first).</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            while (_charPosition < _charCount)
            {
                char c = _chars[_charPosition++];
                if (c == '\n')
                {
                    string line = _line.ToString().TrimEnd('\r');
                    _line.Clear();
                    return line;
                }

                if (_line.Length < MaxLineLength)
                {
                    _line.Append(c);
                }
            }

            int read = await _stream.ReadAsync(_bytes, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_line.Length == 0)
                {
                    return null;
                }

                string last = _line.ToString();
                _line.Clear();
                return last;
            }

            _charCount = _decoder.GetChars(_bytes, 0, read, _chars, 0);
            _charPosition = 0;
        }
    }
}
