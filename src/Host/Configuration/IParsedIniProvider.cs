namespace RunnerHost.Hosting.Configuration;

/// <summary>A configuration provider that keeps the origins of what it parsed.</summary>
public interface IParsedIniProvider
{
    /// <summary>The last parse result; <see cref="ParsedIni.Empty"/> before loading.</summary>
    ParsedIni Parsed { get; }
}
