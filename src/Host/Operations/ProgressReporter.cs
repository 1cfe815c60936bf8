using System.Globalization;

namespace RunnerHost.Hosting.Operations;

/// <summary>
/// Progress of a long operation on stderr: a redrawn bar on a terminal, plain lines otherwise (every
/// <see cref="LineEvery"/> entries or every second). Silent below <see cref="Threshold"/> entries,
/// so short runs print only their results.
/// </summary>
public sealed class ProgressReporter : IDisposable
{
    public const int Threshold = 100;
    public const int LineEvery = 1000;
    private const int BarWidth = 30;

    private readonly TextWriter _output;
    private readonly string _verb;
    private readonly int _total;
    private readonly bool _terminal;
    private readonly TimeProvider _time;
    private readonly bool _active;
    private int _done;
    private DateTimeOffset _lastShown;

    public ProgressReporter(TextWriter output, string verb, int total, bool terminal, TimeProvider? time = null, int threshold = Threshold)
    {
        _output = output;
        _verb = verb;
        _total = total;
        _terminal = terminal;
        _time = time ?? TimeProvider.System;
        _active = total >= threshold;
        _lastShown = _time.GetUtcNow();
    }

    /// <summary>Progress on the process's stderr, as a bar when stderr is a terminal.</summary>
    public static ProgressReporter ForStderr(string verb, int total) => new(Console.Error, verb, total, terminal: !Console.IsErrorRedirected);

    /// <summary>Counts one entry done.</summary>
    public void Advance()
    {
        _done++;
        if (!_active)
        {
            return;
        }

        var now = _time.GetUtcNow();
        bool due = now - _lastShown >= (_terminal ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1));
        if (_terminal ? due || _done == _total : due || _done % LineEvery == 0)
        {
            _lastShown = now;
            Show();
        }
    }

    /// <summary>A progress message that must not be drawn over by the bar (e.g. a failure); writes the line.</summary>
    public void WriteLine(string line)
    {
        if (_active && _terminal)
        {
            _output.Write("\r\u001b[K");
        }

        _output.WriteLine(line);
    }

    public void Dispose()
    {
        if (!_active)
        {
            return;
        }

        if (_terminal)
        {
            Show();
            _output.Write('\n');
        }
        else
        {
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_verb}: {_done}/{_total} done"));
        }

        _output.Flush();
    }

    private void Show()
    {
        if (_terminal)
        {
            int filled = _total == 0 ? BarWidth : (int)((long)_done * BarWidth / _total);
            _output.Write(string.Create(CultureInfo.InvariantCulture, $"\r{_verb} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {_done}/{_total}"));
        }
        else
        {
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_verb}: {_done}/{_total}"));
        }

        _output.Flush();
    }
}
