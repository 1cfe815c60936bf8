using System.Security.Cryptography;
using System.Text;

namespace RunnerHost.Plugins.Lmtp;

/// <summary>
/// Mailman's <c>Message-ID-Hash</c>: Base32 (RFC 4648) of the SHA-1 of the Message-ID without angle
/// brackets. A copy of the host's helper: plugins cannot reference the host.
/// </summary>
internal static class MessageIdHash
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "An identifier shared with Mailman and archivers, not a security measure.")]
    public static string Compute(string messageId)
    {
        string bare = messageId.Trim();
        if (bare.Length >= 2 && bare[0] == '<' && bare[^1] == '>')
        {
            bare = bare[1..^1];
        }

        var data = SHA1.HashData(Encoding.UTF8.GetBytes(bare));
        var text = new StringBuilder(32);
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

        // SHA-1 is 160 bits = exactly 32 Base32 characters: no remainder, no padding.
        return text.ToString();
    }
}
