using Autofac.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Diagnostics;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Cli;

/// <summary>
/// What every command needs: the configuration, logging and host services (composed by
/// <see cref="HostComposition"/>, as in a runner process), with errors turned into one line and an exit code.
/// </summary>
public sealed class CommandEnvironment : IDisposable
{
    private readonly LogSetup _logging;
    private readonly AutofacServiceProvider _container;
    private readonly ProcessSignals? _signals;

    private CommandEnvironment(HostConfiguration configuration, LogSetup logging, bool handleSignals)
    {
        Configuration = configuration;
        _logging = logging;
        _container = HostComposition.BuildProvider(new ServiceCollection().AddRunnerHost(configuration, logging));
        try
        {
            LoggerFactory = _container.GetRequiredService<ILoggerFactory>();
            Services = HostComposition.ResolveHostServices(_container);
        }
        catch
        {
            _container.Dispose();
            throw;
        }

        // A log rotation's SIGHUP reopens the log and never ends a command; TERM/INT keep their default.
        _signals = handleSignals ? new ProcessSignals(onStop: null, onHangup: logging.Reopen) : null;
    }

    public HostConfiguration Configuration { get; }

    public ILoggerFactory LoggerFactory { get; }

    public HostServices Services { get; }

    /// <summary>Reopens this process's log file (the master's SIGHUP, which its own signal handler takes).</summary>
    public void ReopenLogs() => _logging.Reopen();

    /// <summary>
    /// Loads the configuration, checks the directories of <c>[paths]</c> for <paramref name="access"/>, sets up
    /// logging and the host services, and prints the configuration's warnings once.
    /// </summary>
    /// <param name="configFile">The <c>-C</c> file, or null to search.</param>
    /// <param name="access">Whether the command writes under var_dir (then the directories are created when missing).</param>
    /// <param name="minimumLevel">The least level logged; configuration warnings are always shown.</param>
    /// <param name="reportWarnings">False in a runner the master started: the master has shown them already.</param>
    /// <param name="handleSignals">False for a command that handles its signals itself (the master).</param>
    /// <exception cref="ConfigurationException">The configuration is invalid or a directory is not usable: one line, exit 3.</exception>
    public static CommandEnvironment Open(string? configFile, VarAccess access, LogLevel minimumLevel = LogLevel.Information, bool reportWarnings = true, bool handleSignals = true)
    {
        var configuration = ConfigurationStack.Load(configFile).Build();
        HostDirectories.Check(configuration.Paths, access);

        // Logs go to $log_dir/runner-host.log and to stderr, so that command output on stdout stays machine-readable.
        // A reading command creates nothing: it writes the log file only where one may already be written.
        string logDirectory = configuration.Paths.LogDir;
        bool logToFile = access == VarAccess.ReadWrite || HostDirectories.CanAppend(Path.Combine(logDirectory, LogSetup.FileName));
        var logging = new LogSetup(logToFile ? logDirectory : null, minimumLevel, LogIdentity.Current());
        CommandEnvironment environment;
        try
        {
            environment = new CommandEnvironment(configuration, logging, handleSignals);
        }
        catch
        {
            logging.Dispose();
            throw;
        }
        if (reportWarnings)
        {
            var logger = environment.LoggerFactory.CreateLogger(HostConfiguration.LogCategory);
            foreach (var warning in configuration.Warnings)
            {
                logger.LogWarning("{Warning}", warning);
            }
        }

        return environment;
    }

    /// <summary>Runs a command body, mapping the known failures to one stderr line and their exit codes.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"Error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is ConfigurationException or ConfigurationValueException)
        {
            await Console.Error.WriteLineAsync($"Configuration error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Configuration;
        }
        catch (RunnerCreationException ex)
        {
            await Console.Error.WriteLineAsync($"Runner error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.RunnerCreation;
        }
        catch (RunnerHost.Hosting.Queues.QueueBackendUnavailableException ex)
        {
            // Nothing was stored: the operator can simply try again once the servers answer.
            await Console.Error.WriteLineAsync($"Error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    public void Dispose()
    {
        _signals?.Dispose();
        // The host services, the list manager plugin and the logger factory; then the log file itself.
        _container.Dispose();
        _logging.Dispose();
    }
}
