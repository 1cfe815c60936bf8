using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Configuration;

namespace RunnerHost.Hosting.Configuration;

/// <summary>
/// Named configuration layers like Mailman's push/pop: the built-in defaults, then optionally the
/// configuration file, then pushed text layers; later layers win. Not thread-safe: push and pop
/// from one thread (typically startup or a test's setup/teardown).
/// </summary>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "It is a stack of layers (push/pop), as in Mailman.")]
public sealed class ConfigurationStack
{
    public const string DefaultsLayerName = "defaults";
    public const string FileLayerName = "config-file";
    public const string ConfigFileEnvironmentVariable = "RUNNER_HOST_CONFIG";
    public const string VarDirEnvironmentVariable = "RUNNER_HOST_VAR_DIR";
    public const string PluginDirEnvironmentVariable = "RUNNER_HOST_PLUGIN_DIR";

    /// <summary>The configuration file used when none is named, relative to the current directory.</summary>
    public static readonly string DefaultConfigFile = Path.Combine("config", "runner-host.cfg");

    private const string DefaultsResource = "RunnerHost.Hosting.Configuration.defaults.cfg";

    private readonly List<Layer> _layers;

    private ConfigurationStack(List<Layer> layers, string? configFile)
    {
        _layers = layers;
        ConfigFile = configFile;
        Root = BuildRoot(_layers);
    }

    /// <summary>The absolute path of the configuration file layer, or null.</summary>
    public string? ConfigFile { get; }

    /// <summary>What <see cref="Load"/> tried when it found no configuration file; empty when it found one (or was not used).</summary>
    public IReadOnlyList<string> Searched { get; private init; } = [];

    /// <summary>The merged configuration, rebuilt after each push and pop.</summary>
    public IConfigurationRoot Root { get; private set; }

    /// <summary>The layer names, bottom (defaults) first.</summary>
    public IReadOnlyList<string> LayerNames => [.. _layers.Select(l => l.Name)];

    /// <summary>The text of the built-in defaults.</summary>
    public static string DefaultsText { get; } = ReadDefaults();

    /// <summary>
    /// Loads the defaults and a configuration file: <paramref name="configFile"/> if given (it must exist),
    /// else <c>$RUNNER_HOST_CONFIG</c> if set (it must exist), else <c>config/runner-host.cfg</c> if it exists.
    /// When none is found, <see cref="Searched"/> says what was tried.
    /// </summary>
    /// <exception cref="ConfigurationException">The named file is missing, is a directory, cannot be read or does not parse.</exception>
    public static ConfigurationStack Load(string? configFile)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(ConfigFileEnvironmentVariable) is { Length: > 0 } value ? value : null;
        var named = configFile ?? fromEnvironment;
        string? path;
        List<string> searched = [];
        if (named is not null)
        {
            path = Path.GetFullPath(named);
            string how = configFile is not null ? "-C" : $"${ConfigFileEnvironmentVariable}";
            if (Directory.Exists(path))
            {
                string inside = Path.Combine(path, Path.GetFileName(DefaultConfigFile));
                string hint = File.Exists(inside) ? $"; did you mean {inside}?" : string.Empty;
                throw new ConfigurationException($"{path}: is a directory, not a configuration file (given by {how}){hint}");
            }

            if (!File.Exists(path))
            {
                throw new ConfigurationException($"{path}: configuration file not found");
            }
        }
        else
        {
            path = Path.GetFullPath(DefaultConfigFile);
            if (!File.Exists(path))
            {
                searched.AddRange(["-C (not given)", $"${ConfigFileEnvironmentVariable} (not set)", $"{path} ({(Directory.Exists(path) ? "a directory" : "no such file")})"]);
                path = null;
            }
        }

        var layers = new List<Layer> { DefaultsLayer() };
        if (path is not null)
        {
            layers.Add(new Layer(FileLayerName, new MailmanIniFileSource(path), IsBase: true));
        }

        return new ConfigurationStack(layers, path) { Searched = searched };
    }

    /// <summary>Creates a stack with the built-in defaults only.</summary>
    public static ConfigurationStack FromDefaults() => new([DefaultsLayer()], configFile: null);

    /// <summary>Parses <paramref name="text"/> as a new top layer called <paramref name="name"/>.</summary>
    /// <exception cref="ConfigurationException">The name is taken or the text does not parse; the stack is unchanged.</exception>
    public void Push(string name, string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(text);
        if (_layers.Exists(l => string.Equals(l.Name, name, StringComparison.Ordinal)))
        {
            throw new ConfigurationException($"A configuration layer named '{name}' already exists");
        }

        var layers = new List<Layer>(_layers) { new(name, MailmanIniTextSource.ForLayer(name, text), IsBase: false) };
        Root = BuildRoot(layers);
        _layers.Add(layers[^1]);
    }

    /// <summary>Removes the layer <paramref name="name"/> and every layer pushed after it.</summary>
    /// <exception cref="ConfigurationException">No such layer, or it is the defaults or the configuration file.</exception>
    public void Pop(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        int position = _layers.FindIndex(l => string.Equals(l.Name, name, StringComparison.Ordinal));
        if (position < 0)
        {
            throw new ConfigurationException($"No configuration layer named '{name}'");
        }

        if (_layers[position].IsBase)
        {
            throw new ConfigurationException(position == 0
                ? "Cannot pop the built-in defaults"
                : $"Cannot pop the configuration file {ConfigFile}");
        }

        _layers.RemoveRange(position, _layers.Count - position);
        Root = BuildRoot(_layers);
    }

    /// <summary>Validates the current layers and returns the typed view.</summary>
    /// <exception cref="ConfigurationException">A value is invalid; the message names its file and line.</exception>
    public HostConfiguration Build() =>
        HostConfigurationFactory.Create(
            Root,
            ConfigFile,
            EnvironmentOverrides(),
            AppContext.BaseDirectory,
            Directory.GetCurrentDirectory(),
            Searched);

    /// <summary>[paths] keys set by the environment: they win over every layer.</summary>
    private static Dictionary<string, string> EnvironmentOverrides()
    {
        var overrides = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, variable) in new[] { ("var_dir", VarDirEnvironmentVariable), ("plugin_dir", PluginDirEnvironmentVariable) })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                overrides[key] = value;
            }
        }

        return overrides;
    }

    private static Layer DefaultsLayer() => new(DefaultsLayerName, new MailmanIniTextSource(ValueOrigin.DefaultsFile, DefaultsText), IsBase: true);

    private static IConfigurationRoot BuildRoot(List<Layer> layers)
    {
        var builder = new ConfigurationBuilder();
        foreach (var layer in layers)
        {
            builder.Add(layer.Source);
        }

        try
        {
            return builder.Build();
        }
        catch (InvalidDataException e) when (e.InnerException is ConfigurationException inner)
        {
            // File providers wrap load errors in "Failed to load configuration from file"; ours already say file and line.
            ExceptionDispatchInfo.Throw(inner);
            throw;
        }
        catch (InvalidDataException e) when (e.InnerException is IOException or UnauthorizedAccessException)
        {
            var file = layers.Select(l => l.Source).OfType<MailmanIniFileSource>().Select(f => f.FullPath).FirstOrDefault() ?? "the configuration file";
            throw new ConfigurationException($"{file}: cannot read the configuration file: {e.InnerException.Message}", e);
        }
    }

    private static string ReadDefaults()
    {
        using var stream = typeof(ConfigurationStack).Assembly.GetManifestResourceStream(DefaultsResource)
            ?? throw new InvalidOperationException($"Embedded resource {DefaultsResource} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed record Layer(string Name, IConfigurationSource Source, bool IsBase);
}
