using Microsoft.Extensions.Configuration.Ini;

namespace RunnerHost.Hosting.Configuration;

/// <summary>Loads a <see cref="MailmanIniTextSource"/> with <see cref="MailmanIniParser"/>.</summary>
public sealed class MailmanIniTextProvider(MailmanIniTextSource source) : IniStreamConfigurationProvider(source), IParsedIniProvider
{
    private readonly string _label = source.Label;

    public ParsedIni Parsed { get; private set; } = ParsedIni.Empty;

    public override void Load(Stream stream)
    {
        Parsed = MailmanIniParser.Parse(stream, _label);
        Data = new Dictionary<string, string?>(Parsed.Data, StringComparer.OrdinalIgnoreCase);
    }
}
