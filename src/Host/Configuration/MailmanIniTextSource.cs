using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Ini;

namespace RunnerHost.Hosting.Configuration;

/// <summary>Mailman-syntax configuration text, such as a pushed layer or the built-in defaults.</summary>
public sealed class MailmanIniTextSource : IniStreamConfigurationSource
{
    /// <summary>Creates a source whose messages call the text <paramref name="label"/>.</summary>
    public MailmanIniTextSource(string label, string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        ArgumentNullException.ThrowIfNull(text);
        Label = label;
        Text = text;
    }

    /// <summary>The "file" name used in messages, e.g. <c>&lt;layer test&gt;</c>.</summary>
    public string Label { get; }

    /// <summary>The configuration text.</summary>
    public string Text { get; }

    /// <summary>Creates the source of a pushed layer, labelled <c>&lt;layer NAME&gt;</c>.</summary>
    public static MailmanIniTextSource ForLayer(string name, string text) => new($"<layer {name}>", text);

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        // A stream can be read once; a fresh one per build lets the stack rebuild after push/pop.
        Stream = new MemoryStream(Encoding.UTF8.GetBytes(Text), writable: false);
        return new MailmanIniTextProvider(this);
    }
}
