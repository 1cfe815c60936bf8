using System.Globalization;

namespace RunnerHost.Hosting.Supervision;

/// <summary>What <c>/proc/PID/stat</c> says of a process (Linux): a zombie has exited and only waits for its parent to reap it.</summary>
internal static class ProcessState
{
    // Field 2 (comm) is at most 16 bytes in parentheses, but may itself hold ')' and spaces: read up to the last ')'.
    private const int MaxStatLength = 4096;

    /// <summary>True when the process has exited: absent, or a zombie its parent has not reaped yet (which still answers <c>kill(pid, 0)</c>).</summary>
    public static bool HasExited(int pid)
    {
        if (pid <= 0 || !Posix.IsAlive(pid))
        {
            return true;
        }

        return State(pid) is 'Z' or 'X';
    }

    /// <summary>The state letter of field 3 (<c>R</c>, <c>S</c>, <c>Z</c>, ...), or null when the file cannot be read or parsed.</summary>
    public static char? State(int pid)
    {
        string path = string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat");
        string text;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            var buffer = new byte[MaxStatLength];
            int length = 0, read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }

            text = System.Text.Encoding.ASCII.GetString(buffer, 0, length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        int close = text.LastIndexOf(')');
        return close >= 0 && close + 2 < text.Length && text[close + 1] == ' ' ? text[close + 2] : null;
    }
}
