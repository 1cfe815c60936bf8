namespace RunnerHost.Hosting.Configuration;

/// <summary>A key set in one section, with the <c>file:line</c> that sets it.</summary>
public sealed record SectionKey(string Key, string Origin);
