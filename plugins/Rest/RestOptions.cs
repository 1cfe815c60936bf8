using System.Net;
using RunnerHost.Configuration;

namespace RunnerHost.Plugins.Rest;

/// <summary>The REST runner's settings (keys of its <c>[runner.NAME]</c> section), with their defaults. Reference: docs/rest-api.md.</summary>
internal sealed record RestOptions
{
    public required IPAddress Host { get; init; }

    public int Port { get; init; } = 8001;

    /// <summary>The bearer token of mutating calls; null = mutating calls are refused (never open by default).</summary>
    public string? ApiToken { get; init; }

    /// <summary>The host's <c>$var_dir</c>: master status and metrics files live here.</summary>
    public required string VarDir { get; init; }

    /// <summary>The host's <c>$queue_dir</c>: entries are read from <c>queue_dir/NAME/</c>.</summary>
    public required string QueueDir { get; init; }

    public static RestOptions Read(RunnerSettings settings)
    {
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
            Host = address,
            Port = settings.GetInt32("rest_port", 8001),
            ApiToken = token,
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

        return options;
    }
}
