using System.Security.Cryptography;
using System.Text;

namespace RunnerHost.Messages;

/// <summary>
/// Mailman's <c>Message-ID-Hash</c> (and <c>X-Message-ID-Hash</c>): Base32 (RFC 4648) of the SHA-1 of
/// the Message-ID without angle brackets. Archivers use it as a stable message identifier.
/// </summary>
public static class MessageIdHash
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <summary>Computes the hash of a Message-ID given with or without angle brackets.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "An identifier shared with Mailman and archivers, not a security measure.")]
    public static string Compute(string messageId)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        string bare = messageId.Trim();
        if (bare.Length >= 2 && bare[0] == '<' && bare[^1] == '>')
        {
            bare = bare[1..^1];
        }

        return Base32(SHA1.HashData(Encoding.UTF8.GetBytes(bare)));
    }

    private static string Base32(ReadOnlySpan<byte> data)
    {
        var text = new StringBuilder((data.Length + 4) / 5 * 8);
        int buffer = 0, bits = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        while (text.Length % 8 != 0)
        {
            text.Append('=');
        }

        return text.ToString();
    }
}
