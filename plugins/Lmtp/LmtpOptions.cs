using System.Net;
using RunnerHost.Configuration;

namespace RunnerHost.Plugins.Lmtp;

/// <summary>The LMTP runner's settings (keys of its <c>[runner.NAME]</c> section), with their defaults.</summary>
internal sealed record LmtpOptions
{
    /// <summary>The built-in default of <c>max_message_size</c>; the shipped value is set once in <c>[runner.master]</c> (defaults.cfg), shared with the REST inject.</summary>
    public const int DefaultMaxMessageSize = 10 * 1024 * 1024;

    /// <summary>The largest <c>max_message_size</c> accepted: a message is held in memory while it is read.</summary>
    public const int MaxMessageSizeLimit = 1024 * 1024 * 1024;

    public required IPAddress Host { get; init; }

    public int Port { get; init; } = 8024;

    public int MaxConnections { get; init; } = 16;

    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    public int MaxRecipients { get; init; } = 100;

    public int MaxLineLength { get; init; } = 998;

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the whole DATA phase of one message may take, however steadily its lines arrive.</summary>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxErrors { get; init; } = 20;

    public required IReadOnlySet<string> ServedQueues { get; init; }

    public static LmtpOptions Read(RunnerSettings settings)
    {
        string host = settings.GetString("lmtp_host") is { Length: > 0 } configured ? configured.Trim() : "127.0.0.1";
        if (!IPAddress.TryParse(host, out var address))
        {
            throw new ConfigurationValueException(settings.Describe("lmtp_host", $"'{host}' is not an IP address"));
        }

        var served = (settings.GetString("served_queues") ?? "in command bounces")
            .Split([' ', ',', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);
        var options = new LmtpOptions
        {
            Host = address,
            Port = settings.GetInt32("lmtp_port", 8024),
            MaxConnections = settings.GetInt32("max_connections", 16),
            MaxMessageSize = settings.GetInt32("max_message_size", DefaultMaxMessageSize),
            MaxRecipients = settings.GetInt32("max_recipients", 100),
            MaxLineLength = settings.GetInt32("max_line_length", 998),
            IdleTimeout = settings.GetDuration("idle_timeout", TimeSpan.FromMinutes(5)),
            DataTimeout = settings.GetDuration("data_timeout", TimeSpan.FromMinutes(5)),
            StopTimeout = settings.GetDuration("stop_timeout", TimeSpan.FromSeconds(30)),
            MaxErrors = settings.GetInt32("max_errors", 20),
            ServedQueues = served,
        };
        Require(settings, "lmtp_port", options.Port is >= 0 and <= 65535, "must be 0..65535 (0 = any free port)");
        Require(settings, "max_connections", options.MaxConnections > 0, "must be positive");
        Require(settings, "max_message_size", options.MaxMessageSize is > 0 and <= MaxMessageSizeLimit, $"must be 1..{MaxMessageSizeLimit} octets");
        Require(settings, "max_recipients", options.MaxRecipients > 0, "must be positive");
        Require(settings, "max_line_length", options.MaxLineLength >= 78, "must be at least 78");
        Require(settings, "idle_timeout", options.IdleTimeout > TimeSpan.Zero && options.IdleTimeout <= TimeSpan.FromDays(1), "must be positive and at most 1d");
        Require(settings, "data_timeout", options.DataTimeout > TimeSpan.Zero && options.DataTimeout <= TimeSpan.FromDays(1), "must be positive and at most 1d");
        Require(settings, "max_errors", options.MaxErrors > 0, "must be positive");
        return options;
    }

    private static void Require(RunnerSettings settings, string key, bool condition, string problem)
    {
        if (!condition)
        {
            throw new ConfigurationValueException(settings.Describe(key, $"'{settings.GetString(key)}' {problem}"));
        }
    }
}
