using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Host.Composition;
using RunnerHost.Host.Configuration;
using RunnerHost.Host.Diagnostics;

namespace RunnerHost.Host.Cli;

/// <summary>What every command needs: the configuration, logging and host services, with errors turned into one line and an exit code.</summary>
public sealed class CommandEnvironment : IDisposable
{
    private readonly LogSetup _logging;
    private readonly RunnerMetrics? _metrics;
    private readonly MetricsFileWriter? _metricsWriter;
    private readonly PluginListManager? _pluginLists;
    private readonly OpenTelemetry.Trace.TracerProvider? _tracing;

    private CommandEnvironment(HostConfiguration configuration, LogSetup logging, LogIdentity identity)
    {
        Configuration = configuration;
        _logging = logging;
        LoggerFactory = logging.LoggerFactory;
        Services = new HostServices(configuration, LoggerFactory);
        _pluginLists = PluginListManager.Load(configuration, LoggerFactory, Services.Clock);
        if (_pluginLists is not null)
        {
            Services.UseListManager(_pluginLists.Manager);
        }

        if (identity.Runner is not null)
        {
            // Runner processes count their entries and leave the counters for `runner-host metrics`.
            _tracing = Diagnostics.Tracing.TracingSetup.Start(configuration.Tracing, identity);
            _metrics = new RunnerMetrics();
            Services.Outcomes = _metrics;
            string file = $"{identity.Runner}-{identity.Slice?.Replace('/', '-')}.prom";
            _metricsWriter = new MetricsFileWriter(
                Path.Combine(MetricsFileWriter.DirectoryOf(configuration.Paths.VarDir), file),
                LoggerFactory.CreateLogger("RunnerHost.Metrics"),
                RunnerMetrics.MeterName);
        }
    }

    public HostConfiguration Configuration { get; }

    public ILoggerFactory LoggerFactory { get; }

    public HostServices Services { get; }

    /// <summary>
    /// Loads the configuration, checks the directories of <c>[paths]</c> for <paramref name="access"/>, sets up
    /// logging and the host services, and prints the configuration's warnings once.
    /// </summary>
    /// <param name="configFile">The <c>-C</c> file, or null to search.</param>
    /// <param name="access">Whether the command writes under var_dir (then the directories are created when missing).</param>
    /// <param name="minimumLevel">The least level logged; configuration warnings are always shown.</param>
    /// <param name="reportWarnings">False in a runner the master started: the master has shown them already.</param>
    /// <exception cref="ConfigurationException">The configuration is invalid or a directory is not usable: one line, exit 3.</exception>
    public static CommandEnvironment Open(string? configFile, VarAccess access, LogLevel minimumLevel = LogLevel.Information, bool reportWarnings = true)
    {
        var configuration = ConfigurationStack.Load(configFile).Build();
        HostDirectories.Check(configuration.Paths, access);

        // Logs go to $log_dir/runner-host.log and to stderr, so that command output on stdout stays machine-readable.
        // A reading command creates nothing: it writes the log file only where one may already be written.
        var identity = LogIdentity.Current();
        string logDirectory = configuration.Paths.LogDir;
        bool logToFile = access == VarAccess.ReadWrite || HostDirectories.CanAppend(Path.Combine(logDirectory, LogSetup.FileName));
        var logging = new LogSetup(logToFile ? logDirectory : null, minimumLevel, identity);
        var environment = new CommandEnvironment(configuration, logging, identity);
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
        catch (RunnerHost.Host.Queues.QueueBackendUnavailableException ex)
        {
            // Nothing was stored: the operator can simply try again once the servers answer.
            await Console.Error.WriteLineAsync($"Error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    public void Dispose()
    {
        // Last counters first, while the meter still exists.
        _metricsWriter?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _metrics?.Dispose();
        Services.Dispose();
        _pluginLists?.Dispose();
        _tracing?.Dispose(); // flushes the last spans
        _logging.Dispose();
    }
}
