using System.CommandLine;
using System.Text;
using Microsoft.Extensions.Logging;
using RunnerHost.Host.Configuration;
using RunnerHost.Host.Plugins;

namespace RunnerHost.Host.Cli;

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

        var command = new Command("plugins", "Inspect and reload runner plugins.") { list, reload };
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
                    continue;
                }

                text.Append(' ').Append(plugin.Version).Append('\n');
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

        // Running hosts watch their plugins' folders; a new modification time is the reload request.
        File.SetLastWriteTimeUtc(dll, DateTime.UtcNow);
        Console.Out.Write($"Reload requested for plugin {name}: processes running its runners drain and reload it.\n");
        return ExitCodes.Success;
    }
}
