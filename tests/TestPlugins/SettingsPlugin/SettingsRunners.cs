using Microsoft.Extensions.Logging;
using RunnerHost;
using RunnerHost.Configuration;

namespace SettingsPlugin;

/// <summary>
/// A server-like runner (no queue) that declares its keys: <c>greeting</c>, <c>repeat</c> and every
/// <c>x_*</c>. It reads <c>repeat</c> when it starts, as the built-in servers read their settings,
/// so a bad value fails the runner with a <see cref="ConfigurationValueException"/>.
/// </summary>
[RunnerSetting("greeting", "repeat")]
[RunnerSetting("x_*")]
public sealed class GreetingRunner(RunnerContext context) : ServiceRunner(context)
{
    protected override Task StartAsync(CancellationToken cancellationToken)
    {
        int repeat = Settings.GetInt32("repeat", 1);
        Logger.LogInformation("{Runner} says {Greeting} {Repeat} times", Identity, Settings.GetString("greeting") ?? "hello", repeat);
        return Task.CompletedTask;
    }
}

/// <summary>A runner that declares nothing: the host cannot tell its keys from misspellings, except near-misses of its own.</summary>
public sealed class UndeclaredRunner(RunnerContext context) : ServiceRunner(context)
{
}
