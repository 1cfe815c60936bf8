using System.Text;
using MimeKit;

namespace RunnerHost.Hosting.Tests.Support;

internal static class TestMessages
{
    public static MimeMessage FromText(string text)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return MimeMessage.Load(stream);
    }

    /// <summary>The message as MimeKit writes it back: for an unmodified parsed message, the original text.</summary>
    public static string AsText(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
