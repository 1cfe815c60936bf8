using System.Text.RegularExpressions;
using RunnerHost.Configuration;

namespace RunnerHost.Hosting.Configuration;

/// <summary>Which queue back end an installation uses.</summary>
public enum QueueBackendKind
{
    /// <summary>Queue directories on this machine (the embedded default).</summary>
    File,

    /// <summary>Streams on a NATS JetStream server or cluster, shared by every host configured against it.</summary>
    JetStream,
}

/// <summary>
/// The <c>[queues]</c> section: the back end and, for JetStream, how to reach it and how its streams are
/// laid out (docs/scale-out.md). Every value is range-checked here, at startup, with its file and line.
/// </summary>
public sealed partial record QueueBackendSettings
{
    public const string Section = "queues";

    /// <summary>The keys allowed in <c>[queues]</c>.</summary>
    public static IReadOnlyList<string> Keys { get; } =
        ["backend", "servers", "credentials", "replicas", "prefix", "host_name", "ack_wait", "slice_lease", "duplicate_window", "publish_timeout", "commit"];

    public static QueueBackendSettings FileDefault { get; } = new();

    public QueueBackendKind Backend { get; init; } = QueueBackendKind.File;

    /// <summary>The NATS server URLs (any node of the cluster; the client learns the rest).</summary>
    public IReadOnlyList<string> Servers { get; init; } = ["nats://127.0.0.1:4222"];

    /// <summary>A NATS credentials file (JWT and NKey seed), when the servers require one.</summary>
    public string? CredentialsFile { get; init; }

    /// <summary>Stream replicas (1 on a single server; 3 on a three-node cluster).</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>The first token of every subject and the start of every stream and bucket name: several installations can share one cluster.</summary>
    public string Prefix { get; init; } = "runnerhost";

    /// <summary>What other hosts see as this host in <c>status</c> (the machine name unless set).</summary>
    public string HostName { get; init; } = Environment.MachineName;

    /// <summary>How long the server waits for an entry's acknowledgement before offering it again; runners send progress well within it.</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a slice stays claimed by a host that stopped renewing it (it died): the other hosts take it over after this.</summary>
    public TimeSpan SliceLease { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the server remembers message ids: a retried publish within it never stores a second entry.</summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How the file back end makes an enqueue durable: a journal record and one fdatasync, or fsyncs of file and directory.</summary>
    public Queues.QueueCommit Commit { get; init; } = Queues.QueueCommit.Journal;

    /// <summary>The longest an enqueue waits for the server's acknowledgement.</summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Reads and checks <c>[queues]</c>; <paramref name="describe"/> names where a key was set.</summary>
    /// <exception cref="ConfigurationException">A value is invalid or a key unknown.</exception>
    public static QueueBackendSettings Read(IReadOnlyDictionary<string, string> values, Func<string, string> describe)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(describe);
        foreach (var key in values.Keys)
        {
            if (!Keys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw ConfigurationException.ForValue(describe(key), Section, key, $"unknown key (known: {string.Join(", ", Keys)}){KeySuggestion.Hint(key, Keys)}");
            }
        }

        // The duration and integer parsers (and their messages) of runner settings.
        var raw = new RunnerSettings(Section, values, values.Keys.ToDictionary(k => k, describe, StringComparer.OrdinalIgnoreCase));
        ConfigurationException Invalid(string key, string problem) => ConfigurationException.ForValue(describe(key), Section, key, problem);
        try
        {
            var backend = (raw.GetString("backend") ?? "file").Trim().ToLowerInvariant() switch
            {
                "file" or "" => QueueBackendKind.File,
                "jetstream" or "nats" => QueueBackendKind.JetStream,
                var other => throw Invalid("backend", $"'{other}' is not a queue back end (file or jetstream)"),
            };
            var commit = (raw.GetString("commit") ?? "journal").Trim().ToLowerInvariant() switch
            {
                "journal" or "" => Queues.QueueCommit.Journal,
                "fsync" => Queues.QueueCommit.Fsync,
                var other => throw Invalid("commit", $"'{other}' is not a commit mode (journal or fsync)"),
            };
            var settings = new QueueBackendSettings { Backend = backend, Commit = commit };
            if (raw.GetString("servers") is { } serverList)
            {
                var servers = serverList.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (servers.Length == 0)
                {
                    throw Invalid("servers", "no server URL given (for example nats://127.0.0.1:4222)");
                }

                foreach (var server in servers)
                {
                    if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Port is < 1 or > 65535 || uri.Host.Length == 0)
                    {
                        throw Invalid("servers", $"'{server}' is not a NATS URL such as nats://127.0.0.1:4222");
                    }
                }

                settings = settings with { Servers = servers };
            }

            if (raw.GetString("credentials") is { Length: > 0 } credentials)
            {
                settings = settings with { CredentialsFile = Path.GetFullPath(credentials.Trim()) };
            }

            int replicas = raw.GetInt32("replicas", 1);
            if (replicas is < 1 or > 5)
            {
                throw Invalid("replicas", $"{replicas} is out of range: JetStream keeps 1 to 5 replicas of a stream");
            }

            string prefix = (raw.GetString("prefix") ?? settings.Prefix).Trim();
            if (!PrefixPattern().IsMatch(prefix))
            {
                throw Invalid("prefix", $"'{prefix}' is not a prefix: 1 to 32 letters, digits, '-' or '_' (it starts subject, stream and bucket names)");
            }

            string host = (raw.GetString("host_name") ?? settings.HostName).Trim();
            if (host.Length is 0 or > 64 || host.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            {
                throw Invalid("host_name", $"'{host}' is not a host name: 1 to 64 characters without spaces");
            }

            var ackWait = Bounded(raw, "ack_wait", settings.AckWait, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), Invalid);
            var lease = Bounded(raw, "slice_lease", settings.SliceLease, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(10), Invalid);
            var window = Bounded(raw, "duplicate_window", settings.DuplicateWindow, TimeSpan.FromSeconds(10), TimeSpan.FromDays(1), Invalid);
            var publish = Bounded(raw, "publish_timeout", settings.PublishTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5), Invalid);
            if (window <= publish)
            {
                // A publish retried for publish_timeout must still be recognised as the same entry.
                throw Invalid("duplicate_window", $"{raw.GetString("duplicate_window") ?? "2m"} must be longer than publish_timeout ({Seconds(publish)})");
            }

            return settings with
            {
                Replicas = replicas,
                Prefix = prefix,
                HostName = host,
                AckWait = ackWait,
                SliceLease = lease,
                DuplicateWindow = window,
                PublishTimeout = publish,
            };
        }
        catch (ConfigurationValueException ex)
        {
            throw new ConfigurationException(ex.Message, ex);
        }
    }

    private static TimeSpan Bounded(RunnerSettings raw, string key, TimeSpan defaultValue, TimeSpan min, TimeSpan max, Func<string, string, ConfigurationException> invalid)
    {
        var value = raw.GetDuration(key, defaultValue);
        return value >= min && value <= max
            ? value
            : throw invalid(key, $"{raw.GetString(key)} is out of range ({Seconds(min)} to {Seconds(max)})");
    }

    private static string Seconds(TimeSpan span) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.###}s");

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex PrefixPattern();
}
