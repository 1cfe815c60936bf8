namespace RunnerHost.Host.Plugins;

/// <summary>
/// Reports, once and debounced, that the files of one plugin folder changed (a new build copied in,
/// the folder replaced, or <c>runner-host plugins reload NAME</c> touching its dll). Watches the plugin
/// directory rather than the plugin's folder so that replacing the whole folder is seen too.
/// </summary>
public sealed class PluginChangeWatcher : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly Timer _debounce;
    private readonly string _pluginFolder;
    private readonly TimeSpan _quietPeriod;
    private Action? _onChanged;

    public PluginChangeWatcher(string pluginDirectory, string pluginName, TimeSpan quietPeriod, Action onChanged)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginDirectory);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        ArgumentNullException.ThrowIfNull(onChanged);
        _pluginFolder = Path.Combine(Path.GetFullPath(pluginDirectory), pluginName) + Path.DirectorySeparatorChar;
        _quietPeriod = quietPeriod;
        _onChanged = onChanged;
        _debounce = new Timer(_ => Fire());
        _watcher = new FileSystemWatcher(Path.GetFullPath(pluginDirectory))
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Changed += OnEvent;
        _watcher.Created += OnEvent;
        _watcher.Deleted += OnEvent;
        _watcher.Renamed += OnEvent;
        _watcher.EnableRaisingEvents = true;
    }

    public void Dispose()
    {
        _onChanged = null;
        _watcher.Dispose();
        _debounce.Dispose();
    }

    private void OnEvent(object sender, FileSystemEventArgs e)
    {
        bool inPlugin = (e.FullPath + Path.DirectorySeparatorChar).StartsWith(_pluginFolder, StringComparison.Ordinal)
            || (e is RenamedEventArgs renamed && (renamed.OldFullPath + Path.DirectorySeparatorChar).StartsWith(_pluginFolder, StringComparison.Ordinal));
        if (inPlugin)
        {
            // Each event restarts the quiet period, so a multi-file copy reloads once, after it is complete.
            _debounce.Change(_quietPeriod, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fire() => Interlocked.Exchange(ref _onChanged, null)?.Invoke();
}
