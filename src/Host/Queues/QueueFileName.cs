using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RunnerHost.Hosting.Queues;

/// <summary>The parts of a queue filebase <c>&lt;time&gt;+&lt;digest&gt;</c>.</summary>
/// <param name="Time">Seconds since the Unix epoch when the entry becomes due; always within <see cref="QueueFileName.MinimumTime"/> and the parser's upper bound.</param>
/// <param name="Digest">40 hex digits (SHA-1); selects the slice.</param>
public readonly record struct QueueFileNameParts(double Time, string Digest)
{
    /// <summary>When the entry becomes due (<see cref="QueueFileName.FromUnixSeconds"/> of <see cref="Time"/>).</summary>
    public DateTimeOffset Due => QueueFileName.FromUnixSeconds(Time);
}

/// <summary>Formats and parses queue filebases: <c>&lt;time&gt;+&lt;digest&gt;</c>, Mailman-compatible.</summary>
public static class QueueFileName
{
    /// <summary>The list id hashed into the digest when the metadata has none (Mailman's default).</summary>
    public const string NoListId = "--nolist--";

    /// <summary>Number of hex digits of a digest.</summary>
    public const int DigestLength = 40;

    /// <summary>The earliest time a name may carry: 2000-01-01T00:00:00Z. Anything earlier is damage or a broken clock.</summary>
    public const double MinimumTime = 946_684_800;

    /// <summary>How far ahead of now a name's time may lie; a later entry would never come due and is treated as damage.</summary>
    public static readonly TimeSpan MaximumLead = TimeSpan.FromDays(36_525);

    // Mailman writes repr(time.time()): at most 10 integer digits for centuries to come, and 17 significant
    // digits. Longer text is refused before it is parsed, so a 400-digit name costs nothing.
    private const int MaxTimeTextLength = 32;

    /// <summary>Seconds since the Unix epoch, as a double (what the name's time part holds).</summary>
    public static double ToUnixSeconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerSecond;

    /// <summary>
    /// The earliest instant whose <see cref="ToUnixSeconds"/> is not below <paramref name="seconds"/>,
    /// so a runner sleeping until it never wakes a hair too early and spins.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The time is not finite or lies outside what <see cref="DateTimeOffset"/> holds.</exception>
    public static DateTimeOffset FromUnixSeconds(double seconds)
    {
        long epoch = DateTimeOffset.UnixEpoch.UtcTicks;
        double maxSeconds = (DateTimeOffset.MaxValue.UtcTicks - epoch) / (double)TimeSpan.TicksPerSecond;
        double minSeconds = (DateTimeOffset.MinValue.UtcTicks - epoch) / (double)TimeSpan.TicksPerSecond;
        if (!double.IsFinite(seconds) || seconds < minSeconds || seconds > maxSeconds - 1)
        {
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "A queue time must be a finite number of seconds within the range of DateTimeOffset.");
        }

        long ticks = (long)Math.Ceiling(seconds * TimeSpan.TicksPerSecond);
        // Rounding of the product can leave ticks a few short of the exact instant. Adjacent doubles are
        // at most 512 ticks apart up to year 9999 (8 for real queue times), so the loop is short and bounded.
        for (int step = 0; step < 4096 && (double)ticks / TimeSpan.TicksPerSecond < seconds; step++)
        {
            ticks++;
        }

        return new DateTimeOffset(epoch + ticks, TimeSpan.Zero);
    }

    /// <summary>Writes a time like Python's <c>repr(float)</c>: shortest round-trip form, whole numbers with <c>.0</c>.</summary>
    public static string FormatTime(double seconds)
    {
        if (!double.IsFinite(seconds))
        {
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "A queue time must be finite.");
        }

        string text = seconds.ToString("R", CultureInfo.InvariantCulture);
        // .NET writes 1 where Python writes 1.0; keep names identical to Mailman's.
        return text.AsSpan().IndexOfAny('.', 'E') < 0 ? text + ".0" : text;
    }

    /// <summary>
    /// Builds a filebase: SHA-1 over message ‖ list id ‖ time string ‖ 8 random bytes. The nonce keeps
    /// names unique for identical messages enqueued in the same tick.
    /// </summary>
    public static string Create(ReadOnlySpan<byte> message, string? listId, double seconds)
    {
        string time = FormatTime(seconds);
        Span<byte> nonce = stackalloc byte[8];
        RandomNumberGenerator.Fill(nonce);
        return time + "+" + ComputeDigest(message, listId, time, nonce);
    }

    /// <summary>The digest part for the given inputs (deterministic; <see cref="Create"/> supplies a random nonce).</summary>
    [SuppressMessage("Security", "CA5350", Justification = "SHA-1 names files and picks slices (Mailman compatible); it protects nothing.")]
    public static string ComputeDigest(ReadOnlySpan<byte> message, string? listId, string time, ReadOnlySpan<byte> nonce)
    {
        ArgumentNullException.ThrowIfNull(time);
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(message);
        sha1.AppendData(Encoding.UTF8.GetBytes(listId ?? NoListId));
        sha1.AppendData(Encoding.UTF8.GetBytes(time));
        sha1.AppendData(nonce);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    /// <summary>
    /// Parses a filebase; <paramref name="error"/> says why it is not one. The one parser of entry names:
    /// never throws on any input, and refuses a time that is not plain decimal seconds between
    /// <see cref="MinimumTime"/> and <see cref="MaximumLead"/> after <paramref name="now"/>.
    /// </summary>
    public static bool TryParse(string filebase, DateTimeOffset now, out QueueFileNameParts parts, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(filebase);
        parts = default;
        int plus = filebase.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0)
        {
            error = "no '+' between time and digest";
            return false;
        }

        var timeText = filebase.AsSpan(0, plus);
        if (!TryParseTime(timeText, out double time, out error))
        {
            return false;
        }

        double latest = ToUnixSeconds(now) + MaximumLead.TotalSeconds;
        if (time < MinimumTime || time > latest)
        {
            error = $"time {Shorten(timeText)} is outside 2000-01-01 .. {FromUnixSeconds(latest):yyyy-MM-dd} (now + 100 years)";
            return false;
        }

        var digest = filebase.AsSpan(plus + 1);
        if (digest.Length != DigestLength || !System.Text.Ascii.IsValid(digest) || digest.ContainsAnyExcept(HexDigits))
        {
            error = $"digest '{Shorten(digest)}' is not {DigestLength} hex digits";
            return false;
        }

        parts = new QueueFileNameParts(time, digest.ToString());
        error = null;
        return true;
    }

    /// <summary><see cref="TryParse(string, DateTimeOffset, out QueueFileNameParts, out string?)"/> at the current time.</summary>
    public static bool TryParse(string filebase, out QueueFileNameParts parts, [NotNullWhen(false)] out string? error) =>
        TryParse(filebase, DateTimeOffset.UtcNow, out parts, out error);

    /// <summary>Parses a filebase or throws <see cref="FormatException"/>.</summary>
    public static QueueFileNameParts Parse(string filebase) =>
        TryParse(filebase, out var parts, out string? error)
            ? parts
            : throw new FormatException($"Not a queue filebase: '{Shorten(filebase)}': {error}.");

    // Digits, optionally a point and more digits: what Python's repr of a present-day time looks like.
    // No sign, exponent, "NaN" or "inf", which double.TryParse would otherwise accept.
    private static bool TryParseTime(ReadOnlySpan<char> text, out double time, [NotNullWhen(false)] out string? error)
    {
        time = 0;
        int point = text.IndexOf('.');
        var whole = point < 0 ? text : text[..point];
        var fraction = point < 0 ? [] : text[(point + 1)..];
        if (text.Length > MaxTimeTextLength)
        {
            error = $"time part is {text.Length} characters long: not a number of seconds (at most {MaxTimeTextLength} characters)";
            return false;
        }

        if (whole.IsEmpty || whole.ContainsAnyExceptInRange('0', '9') || (point >= 0 && (fraction.IsEmpty || fraction.ContainsAnyExceptInRange('0', '9')))
            || !double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out time))
        {
            error = text.IsEmpty ? "time part is empty: not a number" : $"time '{Shorten(text)}' is not a number of seconds (digits, optionally a point and more digits)";
            return false;
        }

        error = null;
        return true;
    }

    // Names come from disk: keep what an error quotes short and printable.
    private static string Shorten(ReadOnlySpan<char> text)
    {
        const int Max = 48;
        var builder = new StringBuilder(Math.Min(text.Length, Max) + 3);
        foreach (char c in text.Length > Max ? text[..Max] : text)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return text.Length > Max ? builder.Append("...").ToString() : builder.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");
}
