namespace RunnerHost.Hosting.Configuration;

/// <summary>
/// The <c>[lists]</c> section when it names a plugin list manager (<c>manager: ClassName</c>); its
/// other keys are the manager's own settings.
/// </summary>
/// <param name="ClassName">The list manager type: a full name, or a short name one plugin defines.</param>
/// <param name="Origin">Where <c>manager</c> was set, as <c>file:line</c>.</param>
/// <param name="Values">Every key of the section, <c>$</c> variables expanded.</param>
public sealed record ListManagerSettings(string ClassName, string Origin, IReadOnlyDictionary<string, string> Values);
