using RunnerHost.Configuration;

namespace RunnerHost.Plugins.Outgoing;

/// <summary>The out runner's settings (keys of its <c>[runner.NAME]</c> section), with their defaults.</summary>
internal sealed record OutgoingOptions(
    string SmtpHost,
    int SmtpPort,
    TimeSpan SmtpTimeout,
    string RetryQueue,
    TimeSpan RetryBackoff,
    TimeSpan RetryBackoffMax)
{
    public static OutgoingOptions Read(RunnerSettings settings)
    {
        var options = new OutgoingOptions(
            settings.GetString("smtp_host") is { Length: > 0 } host ? host.Trim() : "localhost",
            settings.GetInt32("smtp_port", 25),
            settings.GetDuration("smtp_timeout", TimeSpan.FromSeconds(60)),
            settings.GetString("retry_queue") is { } queue ? queue.Trim() : "retry",
            settings.GetDuration("retry_backoff", TimeSpan.FromMinutes(5)),
            settings.GetDuration("retry_backoff_max", TimeSpan.FromHours(1)));
        if (options.SmtpPort is <= 0 or > 65535)
        {
            throw new ConfigurationValueException(settings.Describe("smtp_port", $"'{options.SmtpPort}' must be 1..65535"));
        }

        if (options.RetryBackoff <= TimeSpan.Zero || options.RetryBackoffMax < options.RetryBackoff)
        {
            throw new ConfigurationValueException(settings.Describe("retry_backoff", "must be positive and not above retry_backoff_max"));
        }

        return options;
    }

    /// <summary>The delay before attempt <paramref name="attempts"/> + 1: the backoff doubled per earlier attempt, capped.</summary>
    public TimeSpan Backoff(long attempts)
    {
        double factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(RetryBackoff.Ticks * factor, RetryBackoffMax.Ticks));
    }
}
