using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Ini;

namespace RunnerHost.Hosting.Configuration;

/// <summary>A Mailman-syntax configuration file.</summary>
public sealed class MailmanIniFileSource : IniConfigurationSource
{
    /// <summary>Creates a source for <paramref name="path"/>, resolved against the current directory (not AppContext.BaseDirectory).</summary>
    public MailmanIniFileSource(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FullPath = System.IO.Path.GetFullPath(path);
        Path = FullPath;
        Optional = false;
        ReloadOnChange = false;
        ResolveFileProvider();
    }

    /// <summary>The absolute path of the file, used in messages.</summary>
    public string FullPath { get; }

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new MailmanIniFileProvider(this);
    }
}
