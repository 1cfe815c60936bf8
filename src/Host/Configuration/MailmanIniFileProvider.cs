using Microsoft.Extensions.Configuration.Ini;

namespace RunnerHost.Hosting.Configuration;

/// <summary>Loads a <see cref="MailmanIniFileSource"/> with <see cref="MailmanIniParser"/>.</summary>
public sealed class MailmanIniFileProvider(MailmanIniFileSource source) : IniConfigurationProvider(source), IParsedIniProvider
{
    private readonly string _file = source.FullPath;

    public ParsedIni Parsed { get; private set; } = ParsedIni.Empty;

    public override void Load(Stream stream)
    {
        Parsed = MailmanIniParser.Parse(stream, _file);
        Data = new Dictionary<string, string?>(Parsed.Data, StringComparer.OrdinalIgnoreCase);
    }
}
