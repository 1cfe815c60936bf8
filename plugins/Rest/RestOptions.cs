using System.Net;
using RunnerHost.Configuration;

namespace RunnerHost.Plugins.Rest;

/// <summary>The REST runner's settings (keys of its <c>[runner.NAME]</c> section), with their defaults. Reference: docs/rest-api.md.</summary>
internal sealed record RestOptions
{
    /// <summary>The built-in default of <c>max_message_size</c>; the shipped value is set once in <c>[runner.master]</c> (defaults.cfg).</summary>
    public const int DefaultMaxMessageSize = 10 * 1024 * 1024;

    /// <summary>The largest <c>max_message_size</c> accepted: messages are held in memory while they are read.</summary>
    public const int MaxMessageSizeLimit = 1024 * 1024 * 1024;

    /// <summary>The section's name, for messages that tell the operator which key to set.</summary>
    public required string Section { get; init; }

    public required IPAddress Host { get; init; }

    public int Port { get; init; } = 8001;

    /// <summary>The bearer token of entry reads and mutating calls; null = they are refused (never open by default).</summary>
    public string? ApiToken { get; init; }

    /// <summary>Serve the summaries (queues, runners, metrics) to non-loopback peers without the token.</summary>
    public bool AllowUnauthenticatedRemote { get; init; }

    /// <summary>The largest message an inject accepts, in octets: <c>max_message_size</c>, shared with LMTP.</summary>
    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>The host's <c>$var_dir</c>: master status and metrics files live here.</summary>
    public required string VarDir { get; init; }

    /// <summary>The host's <c>$queue_dir</c>: entries are read from <c>queue_dir/NAME/</c>.</summary>
    public required string QueueDir { get; init; }

    /// <summary>True when the API listens beyond this machine's loopback.</summary>
    public bool ListensBeyondLoopback => !Loopback.Is(Host);

    public static RestOptions Read(RunnerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string host = settings.GetString("rest_host") is { Length: > 0 } configured ? configured.Trim() : "127.0.0.1";
        if (!IPAddress.TryParse(host, out var address))
        {
            throw new ConfigurationValueException(settings.Describe("rest_host", $"'{host}' is not an IP address"));
        }

        // The plugin cannot ask the host for its paths, so the section names them ($var_dir is expanded in runner values).
        string varDir = settings.GetString("var_dir") is { Length: > 0 } dir && !dir.Contains('$', StringComparison.Ordinal)
            ? Path.GetFullPath(dir)
            : throw new ConfigurationValueException(settings.Describe("var_dir", "must be set to the host's var directory, e.g. 'var_dir: $var_dir'"));
        string queueDir = settings.GetString("queue_dir") is { Length: > 0 } queues && !queues.Contains('$', StringComparison.Ordinal)
            ? Path.GetFullPath(queues)
            : Path.Combine(varDir, "queue");
        string? token = settings.GetString("api_token") is { Length: > 0 } t ? t.Trim() : null;
        var options = new RestOptions
        {
            Section = $"[runner.{settings.Name}]",
            Host = address,
            Port = settings.GetInt32("rest_port", 8001),
            ApiToken = token,
            AllowUnauthenticatedRemote = settings.GetBoolean("allow_unauthenticated_remote", false),
            MaxMessageSize = settings.GetInt32("max_message_size", DefaultMaxMessageSize),
            VarDir = varDir,
            QueueDir = queueDir,
        };
        if (options.Port is < 0 or > 65535)
        {
            throw new ConfigurationValueException(settings.Describe("rest_port", $"'{settings.GetString("rest_port")}' must be 0..65535 (0 = any free port)"));
        }

        if (token is { Length: < 16 })
        {
            throw new ConfigurationValueException(settings.Describe("api_token", "must be at least 16 characters (e.g. the output of 'openssl rand -hex 32')"));
        }

        if (options.MaxMessageSize is < 1 or > MaxMessageSizeLimit)
        {
            throw new ConfigurationValueException(settings.Describe("max_message_size", $"'{settings.GetString("max_message_size")}' must be 1..{MaxMessageSizeLimit} octets"));
        }

        // Beyond loopback, a missing token would leave the summaries open to the network without anyone deciding so.
        if (options.ListensBeyondLoopback && token is null && !options.AllowUnauthenticatedRemote)
        {
            throw new ConfigurationValueException(settings.Describe(
                "rest_host",
                $"'{host}' is not a loopback address and api_token is not set; set api_token (e.g. the output of 'openssl rand -hex 32'), "
                + "listen on 127.0.0.1, or set allow_unauthenticated_remote: yes to serve queue summaries, runners and metrics to the network without a token"));
        }

        return options;
    }
}
