using System.CommandLine;
using System.Text;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Plugins;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Cli;

/// <summary><c>runner-host plugins [list]</c> and <c>runner-host plugins reload NAME</c>.</summary>
public static class PluginsCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var list = new Command("list", "List the plugins in the plugin directory: version, runner types, load errors (the default).");
        list.SetAction((result, _) => CommandEnvironment.RunAsync(() => Task.FromResult(List(result.GetValue(configOption)))));

        var nameArgument = new Argument<string>("NAME") { Description = "The plugin (its folder name)." };
        var reload = new Command("reload", "Ask every process running NAME's runners to drain them and restart them on the plugin's current files.")
        {
            nameArgument,
        };
        reload.SetAction((result, _) => CommandEnvironment.RunAsync(() => Task.FromResult(Reload(result.GetValue(configOption), result.GetRequiredValue(nameArgument)))));

        var sourceArgument = new Argument<string>("PATH") { Description = "The plugin's build output folder (NAME.dll beside NAME.deps.json) or its .nupkg." };
        var install = new Command("install", "Validate a plugin build (contract version, shared assemblies, runner types) and swap it in for the deployed version in one step; nothing changes when it is refused.")
        {
            sourceArgument,
        };
        install.SetAction((result, _) => CommandEnvironment.RunAsync(() => Task.FromResult(Install(result.GetValue(configOption), result.GetRequiredValue(sourceArgument)))));

        var removeName = new Argument<string>("NAME") { Description = "The plugin (its folder name)." };
        var remove = new Command("remove", "Take a plugin out of the plugin directory (runners configured with its types then fail to start).") { removeName };
        remove.SetAction((result, _) => CommandEnvironment.RunAsync(() => Task.FromResult(Remove(result.GetValue(configOption), result.GetRequiredValue(removeName)))));

        var command = new Command("plugins", "Inspect, install, remove and reload runner plugins.") { list, install, remove, reload };
        command.SetAction((result, _) => CommandEnvironment.RunAsync(() => Task.FromResult(List(result.GetValue(configOption)))));
        return command;
    }

    private static int List(string? configFile)
    {
        // Load errors are the output here, so the catalog's own log lines stay quiet.
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadOnly, LogLevel.Critical);
        string directory = environment.Configuration.Paths.PluginDir;
        PluginCatalog catalog;
        try
        {
            catalog = new PluginCatalog(directory, environment.LoggerFactory);
        }
        catch (PluginException ex)
        {
            throw new UsageException(ex.Message, ex);
        }

        using (catalog)
        {
            var running = RunningSlices(environment);
            var text = new StringBuilder();
            text.Append("Plugins in ").Append(directory).Append(":\n");
            if (catalog.Plugins.Count == 0)
            {
                text.Append("    (none)\n");
            }

            foreach (var plugin in catalog.Plugins.OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                text.Append("    ").Append(plugin.Name);
                if (plugin.Error is { } error)
                {
                    text.Append("  FAILED: ").Append(error).Append('\n');
                    AppendRunning(text, running, plugin.Name);
                    continue;
                }

                text.Append(' ').Append(plugin.Version).Append('\n');
                AppendRunning(text, running, plugin.Name);
                foreach (var type in plugin.RunnerTypes.OrderBy(t => t.FullName, StringComparer.Ordinal))
                {
                    text.Append("        runner ").Append(type.FullName).Append('\n');
                }

                if (plugin.RunnerTypes.Count == 0)
                {
                    text.Append("        (no runner types)\n");
                }
            }

            Console.Out.Write(text.ToString());
            return catalog.Plugins.Any(p => p.Error is not null) ? ExitCodes.RunnerCreation : ExitCodes.Success;
        }
    }

    // What the master's slices run, by plugin: a deployment that failed to load is still running its previous version.
    private static ILookup<string, SliceStatus> RunningSlices(CommandEnvironment environment)
    {
        var paths = MasterPaths.From(environment.Configuration.Paths);
        var snapshot = paths.ReadPid() is { } pid && Posix.IsAlive(pid) ? StatusSnapshot.TryRead(paths.StatusFile) : null;
        return (snapshot?.Slices ?? [])
            .Where(s => s.Plugin is not null)
            .ToLookup(s => s.Plugin!, StringComparer.Ordinal);
    }

    private static void AppendRunning(StringBuilder text, ILookup<string, SliceStatus> running, string plugin)
    {
        foreach (var group in running[plugin].GroupBy(s => (s.PluginVersion, s.PluginError)))
        {
            string slices = string.Join(", ", group.Select(s => $"{s.Runner} {s.Slice}/{s.Count}"));
            text.Append("        running ").Append(group.Key.PluginVersion ?? "?").Append(" in ").Append(slices);
            if (group.Key.PluginError is not null)
            {
                text.Append(" (the deployed files did not load; see status)");
            }

            text.Append('\n');
        }
    }

    private static int Install(string? configFile, string source)
    {
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadOnly, LogLevel.Warning);
        var installer = new PluginInstaller(environment.Configuration.Paths.PluginDir);
        PluginInstallation installed;
        try
        {
            installed = installer.Install(Path.GetFullPath(source));
        }
        catch (Exception ex) when (ex is PluginException or IOException or UnauthorizedAccessException)
        {
            Console.Error.Write($"Error: not installed: {ex.Message}\n");
            return ExitCodes.Failure;
        }

        var affected = PluginInstaller.AffectedRunners(environment.Configuration.Runners, installed.Name, installed.RunnerTypes).ToList();
        var text = new StringBuilder();
        text.Append($"Installed plugin {installed.Name} {installed.Version} in {installed.Folder}");
        text.Append(installed.ReplacedVersion is { } old ? $" (replacing {old})\n" : " (new)\n");
        text.Append("    runner types: ").Append(string.Join(", ", installed.RunnerTypes)).Append('\n');
        text.Append(affected.Count == 0
            ? "    no configured runner uses it yet: add a [runner.NAME] section with its class\n"
            : $"    runners affected: {string.Join(", ", affected)} (a running master reloads them: plugin_reload auto, or 'runner-host plugins reload {installed.Name}')\n");
        Console.Out.Write(text.ToString());
        return ExitCodes.Success;
    }

    private static int Remove(string? configFile, string name)
    {
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadOnly, LogLevel.Warning);
        string kept;
        try
        {
            kept = new PluginInstaller(environment.Configuration.Paths.PluginDir).Remove(name);
        }
        catch (PluginException ex)
        {
            throw new UsageException(ex.Message, ex);
        }

        Console.Out.Write($"Removed plugin {name} (kept as {kept} until the next install of it)\n");
        return ExitCodes.Success;
    }

    private static int Reload(string? configFile, string name)
    {
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadOnly, LogLevel.Warning);
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains("..", StringComparison.Ordinal))
        {
            throw new UsageException($"bad plugin name '{name}'");
        }

        string dll = Path.Combine(environment.Configuration.Paths.PluginDir, name, name + ".dll");
        if (!File.Exists(dll))
        {
            throw new UsageException($"no plugin named '{name}' (no {dll})");
        }

        // Every process running the plugin's runners watches this file (docs/plugins.md, "Reload"); the
        // deployed files are left as they are.
        string request = PluginReloadRequest.PathOf(environment.Configuration.Paths.VarDir, name);
        try
        {
            PluginReloadRequest.Write(request);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write the reload request {request}: {ex.Message}", ex);
        }

        Console.Out.Write($"Reload requested for plugin {name}: its running runners load its current files and, if they load, drain and switch to them.\n");
        return ExitCodes.Success;
    }
}
