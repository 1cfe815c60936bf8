using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RunnerHost.Host.Queues;

/// <summary>The parts of a queue filebase <c>&lt;time&gt;+&lt;digest&gt;</c>.</summary>
/// <param name="Time">Seconds since the Unix epoch when the entry becomes due.</param>
/// <param name="Digest">40 lowercase hex digits (SHA-1); selects the slice.</param>
public readonly record struct QueueFileNameParts(double Time, string Digest);

/// <summary>Formats and parses queue filebases: <c>&lt;time&gt;+&lt;digest&gt;</c>, Mailman-compatible.</summary>
public static class QueueFileName
{
    /// <summary>The list id hashed into the digest when the metadata has none (Mailman's default).</summary>
    public const string NoListId = "--nolist--";

    /// <summary>Number of hex digits of a digest.</summary>
    public const int DigestLength = 40;

    /// <summary>Seconds since the Unix epoch, as a double (what the name's time part holds).</summary>
    public static double ToUnixSeconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerSecond;

    /// <summary>
    /// The earliest instant whose <see cref="ToUnixSeconds"/> is not below <paramref name="seconds"/>,
    /// so a runner sleeping until it never wakes a hair too early and spins.
    /// </summary>
    public static DateTimeOffset FromUnixSeconds(double seconds)
    {
        long ticks = (long)Math.Ceiling(seconds * TimeSpan.TicksPerSecond);
        long epoch = DateTimeOffset.UnixEpoch.UtcTicks;
        while ((double)ticks / TimeSpan.TicksPerSecond < seconds)
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

    /// <summary>Parses a filebase; <paramref name="error"/> says why it is not one.</summary>
    public static bool TryParse(string filebase, out QueueFileNameParts parts, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(filebase);
        parts = default;
        // The digest never contains '+', so the last one separates even a time written like 1E+16.
        int plus = filebase.LastIndexOf('+');
        if (plus < 0)
        {
            error = "no '+' between time and digest";
            return false;
        }

        var timeText = filebase.AsSpan(0, plus);
        if (timeText.IsEmpty
            || !double.TryParse(timeText, NumberStyles.Float, CultureInfo.InvariantCulture, out double time)
            || !double.IsFinite(time))
        {
            error = $"time '{timeText}' is not a number";
            return false;
        }

        string digest = filebase[(plus + 1)..];
        if (digest.Length != DigestLength || !digest.All(char.IsAsciiHexDigit))
        {
            error = $"digest '{digest}' is not {DigestLength} hex digits";
            return false;
        }

        parts = new QueueFileNameParts(time, digest);
        error = null;
        return true;
    }

    /// <summary>Parses a filebase or throws <see cref="FormatException"/>.</summary>
    public static QueueFileNameParts Parse(string filebase) =>
        TryParse(filebase, out var parts, out string? error)
            ? parts
            : throw new FormatException($"Not a queue filebase: '{filebase}': {error}.");
}
