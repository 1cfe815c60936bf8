using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using RunnerHost.Configuration;
using RunnerHost.Host.Composition;
using RunnerHost.Host.Configuration;

namespace RunnerHost.Host.Cli;

/// <summary>What every command needs: the configuration, logging and host services, with errors turned into one line and an exit code.</summary>
public sealed class CommandEnvironment : IDisposable
{
    private CommandEnvironment(HostConfiguration configuration, ILoggerFactory loggerFactory)
    {
        Configuration = configuration;
        LoggerFactory = loggerFactory;
        Services = new HostServices(configuration, loggerFactory);
    }

    public HostConfiguration Configuration { get; }

    public ILoggerFactory LoggerFactory { get; }

    public HostServices Services { get; }

    public static CommandEnvironment Open(string? configFile, LogLevel minimumLevel = LogLevel.Information)
    {
        var configuration = ConfigurationStack.Load(configFile).Build();
        var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(logging => logging
            .SetMinimumLevel(minimumLevel)
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                console.UseUtcTimestamp = false;
            })

            // Logs go to stderr so that command output on stdout stays machine-readable.
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
        return new CommandEnvironment(configuration, loggerFactory);
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
    }

    public void Dispose()
    {
        Services.Dispose();
        LoggerFactory.Dispose();
    }
}
