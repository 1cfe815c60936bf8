namespace RunnerHost.Configuration;

/// <summary>
/// Declares keys of the <c>[runner.NAME]</c> section that a runner type reads, beyond RunnerHost's own
/// (<c>class</c>, <c>path</c>, <c>instances</c>, ...). The host reads the declarations when it creates the
/// runner and warns, with file, line and a "did you mean", about any other key set in the section, so
/// that a misspelt key does not silently fall back to its default.
/// </summary>
/// <remarks>
/// <para>Repeat the attribute or list several keys in one; a key ending in <c>*</c> declares every key
/// with that prefix (<c>header_*</c>). Declarations are inherited by derived runner types.</para>
/// <para>A runner type without any declaration is not checked this way: only keys one or two letters
/// away from a RunnerHost key are reported for it. Added in RunnerHost.Abstractions 1.1.</para>
/// </remarks>
/// <example><code>
/// [RunnerSetting("output_dir", "greeting")]
/// public sealed class GreetingRunner(RunnerContext context) : Runner(context) { ... }
/// </code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
public sealed class RunnerSettingAttribute : Attribute
{
    /// <summary>Declares the keys <paramref name="keys"/> (case-insensitive; a trailing <c>*</c> is a prefix).</summary>
    public RunnerSettingAttribute(params string[] keys)
    {
        // No exception here: it would surface in the host when it reads the attributes. Empty keys are ignored there.
        Keys = keys is null ? [] : [.. keys];
    }

    /// <summary>The declared keys.</summary>
    public IReadOnlyList<string> Keys { get; }
}
