using Microsoft.Extensions.Logging;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// Reports that one plugin should be reloaded, each time its deployed folder changed and then settled
/// (<see cref="PluginReloadMode.Auto"/> only: a new build copied in, the folder replaced by a rename)
/// or a <c>runner-host plugins reload NAME</c> request arrived. Settled means one quiet period with no
/// change event and the same listing at its start and end. Change notification (inotify) makes it
/// quick; a poll of the listings every <c>pollInterval</c> catches what notification misses (file
/// systems without it, the per-user watch limit reached).
/// </summary>
/// <remarks>
/// The plugin directory is watched rather than the plugin's folder, so that replacing the whole folder
/// is seen too. The callback runs on a timer thread and should return quickly; two changes in quick
/// succession may call it again before the first call returned.
/// </remarks>
public sealed class PluginChangeWatcher : IDisposable
{
    private readonly string _pluginFolder;
    private readonly string _pluginFolderPrefix;
    private readonly string _requestFile;
    private readonly PluginReloadMode _mode;
    private readonly TimeSpan _quietPeriod;
    private readonly Action<bool> _onChanged;
    private readonly Lock _gate = new();
    private readonly Timer _settle;
    private readonly Timer _poll;
    private readonly List<FileSystemWatcher> _watchers = [];
    private string _appliedFolder;
    private string _appliedRequest;
    private string? _candidateFolder;
    private string? _candidateRequest;
    private bool _disposed;

    /// <param name="pluginDirectory">The plugin directory.</param>
    /// <param name="pluginName">The plugin (its folder name).</param>
    /// <param name="mode">Auto: folder changes and requests; manual: requests only.</param>
    /// <param name="requestFile">The plugin's <see cref="PluginReloadRequest"/> file.</param>
    /// <param name="loadedFingerprint">The listing the running version was copied from: a change since is a change.</param>
    /// <param name="quietPeriod">How long the files must be quiet.</param>
    /// <param name="pollInterval">How often listings are compared regardless of notifications.</param>
    /// <param name="onChanged">Called with true for an explicit request, false for a folder change.</param>
    /// <param name="logger">For the one warning when notification is unavailable.</param>
    public PluginChangeWatcher(
        string pluginDirectory,
        string pluginName,
        PluginReloadMode mode,
        string requestFile,
        string loadedFingerprint,
        TimeSpan quietPeriod,
        TimeSpan pollInterval,
        Action<bool> onChanged,
        ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginDirectory);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        ArgumentException.ThrowIfNullOrEmpty(requestFile);
        ArgumentNullException.ThrowIfNull(onChanged);
        ArgumentNullException.ThrowIfNull(logger);
        string directory = Path.GetFullPath(pluginDirectory);
        _pluginFolder = Path.Combine(directory, pluginName);
        _pluginFolderPrefix = _pluginFolder + Path.DirectorySeparatorChar;
        _requestFile = requestFile;
        _mode = mode;
        _quietPeriod = quietPeriod;
        _onChanged = onChanged;
        _appliedFolder = loadedFingerprint;
        // Requests made before this incarnation started were for an earlier one.
        _appliedRequest = PluginReloadRequest.Read(requestFile);
        _settle = new Timer(_ => Check());
        _poll = new Timer(_ => Poll());
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(requestFile)!);
            Watch(Path.GetDirectoryName(requestFile)!, Path.GetFileName(requestFile), subdirectories: false);
            if (mode == PluginReloadMode.Auto)
            {
                Watch(directory, "*", subdirectories: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            logger.LogWarning("Cannot watch plugin {Plugin} for changes ({Error}); checking every {Interval}s instead", pluginName, ex.Message, pollInterval.TotalSeconds);
        }

        _poll.Change(pollInterval, pollInterval);
        // A change between loading and watching is caught by this first look.
        Schedule();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _settle.Dispose();
        _poll.Dispose();
    }

    private void Watch(string directory, string filter, bool subdirectories)
    {
        var watcher = new FileSystemWatcher(directory, filter)
        {
            IncludeSubdirectories = subdirectories,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        watcher.Changed += OnEvent;
        watcher.Created += OnEvent;
        watcher.Deleted += OnEvent;
        watcher.Renamed += OnEvent;
        // Too many events at once: something changed; the listing comparison tells what.
        watcher.Error += (_, _) => Schedule();
        _watchers.Add(watcher);
        watcher.EnableRaisingEvents = true;
    }

    private void OnEvent(object sender, FileSystemEventArgs e)
    {
        bool relevant = e.FullPath == _requestFile
            || IsInPluginFolder(e.FullPath)
            || (e is RenamedEventArgs renamed && (renamed.OldFullPath == _requestFile || IsInPluginFolder(renamed.OldFullPath)));
        if (relevant)
        {
            // Each event restarts the quiet period, so a multi-file copy is looked at once it is complete.
            Schedule();
        }
    }

    private bool IsInPluginFolder(string path) =>
        path == _pluginFolder || path.StartsWith(_pluginFolderPrefix, StringComparison.Ordinal);

    private void Schedule()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _settle.Change(_quietPeriod, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Poll()
    {
        var (folder, request) = Current();
        lock (_gate)
        {
            if (folder == _appliedFolder && request == _appliedRequest)
            {
                return;
            }
        }

        Schedule();
    }

    private void Check()
    {
        var (folder, request) = Current();
        bool forced;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (folder != _candidateFolder || request != _candidateRequest)
            {
                // Seen for the first time: it must stay so for one more quiet period.
                _candidateFolder = folder;
                _candidateRequest = request;
                _settle.Change(_quietPeriod, Timeout.InfiniteTimeSpan);
                return;
            }

            if (folder == _appliedFolder && request == _appliedRequest)
            {
                return;
            }

            forced = request != _appliedRequest;
            _appliedFolder = folder;
            _appliedRequest = request;
        }

        _onChanged(forced);
    }

    private (string Folder, string Request) Current() => (
        _mode == PluginReloadMode.Auto ? PluginFolderListing.FingerprintOf(_pluginFolder) : _appliedFolder,
        PluginReloadRequest.Read(_requestFile));
}
