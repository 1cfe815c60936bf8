using System.Diagnostics;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>
/// Builds the test plugins under tests/TestPlugins once per test run into a temporary folder; each
/// fixture then copies the ones it needs into a plugin directory of its own.
/// </summary>
/// <remarks>
/// The contract is built first (Release, and a 2.0.0.0 copy for FutureAbstractionsPlugin), and the
/// plugins are restored one at a time: parallel restores race on the contract's project.assets.json.
/// The plugin builds then run in parallel with --no-dependencies.
/// </remarks>
[SetUpFixture]
public sealed class TestPluginBuilder
{
    public static readonly IReadOnlyList<string> AllPlugins =
    [
        "EchoPlugin", "JsonOldPlugin", "JsonNewPlugin", "ThrowingCtorPlugin", "NotARunnerPlugin",
        "DuplicateNameA", "DuplicateNameB", "FutureAbstractionsPlugin", "MissingDependencyPlugin", "ListsPlugin", "SupervisionPlugin", "ServicesPlugin",
        "VersionedPlugin", "FutureMimeKitPlugin", "NoDynamicLoadingPlugin", "DuplicateFullName", "SettingsPlugin", "DashboardPlugin",
    ];

    /// <summary>EchoPlugin 2.0.0, whose formatter writes <c>&lt;subject&gt;</c> instead of <c>[subject]</c>.</summary>
    public const string EchoPluginVersion2 = "EchoPlugin-v2";

    /// <summary>VersionedPlugin 2.0.0, whose runner writes <c>v2</c> (the default build, 1.0.0, writes <c>v1</c>).</summary>
    public const string VersionedPluginV2 = "VersionedPlugin-v2";

    /// <summary>VersionedPlugin 3.0.0, whose runner writes <c>v3</c>.</summary>
    public const string VersionedPluginV3 = "VersionedPlugin-v3";

    /// <summary>FutureAbstractionsPlugin built against the contract packed as <see cref="FutureMinorVersion"/> (only <c>Version</c> set), to be deployed as <c>FutureAbstractionsPlugin</c>.</summary>
    public const string FutureMinorAbstractionsPlugin = "FutureAbstractionsPlugin-next-minor";

    /// <summary>The host's contract version with the minor one higher and patch 2, e.g. 1.2.2 for 1.1.0.</summary>
    public static Version FutureMinorVersion { get; } = new(HostContract.Major, HostContract.Minor + 1, 2);

    /// <summary>The host's contract version with the major one higher, e.g. 2.0.0 for 1.1.0.</summary>
    public static Version FutureMajorVersion { get; } = new(HostContract.Major + 1, 0, 0);

    private static Version HostContract => typeof(Runner).Assembly.GetName().Version!;

    /// <summary>The contract built with <c>-p:Version=</c><see cref="FutureMinorVersion"/> and nothing else, as a release would pack it.</summary>
    public static async Task<string> FutureMinorContractAsync()
    {
        string built = await _built.Value.ConfigureAwait(false);
        return Path.Combine(Path.GetDirectoryName(built)!, "abs112", "RunnerHost.Abstractions.dll");
    }

    // Started once per process; holds only a path, never anything from a plugin load context.
    private static readonly Lazy<Task<string>> _built = new(() => Task.Run(BuildAllAsync));

    [OneTimeSetUp]
    public Task BuildPluginsAsync() => _built.Value;

    /// <summary>
    /// Deletes the built plugins; called once every test of the assembly ran (<see cref="TestPluginsTeardown"/>),
    /// not when this namespace's tests end: fixtures elsewhere (Dashboard, Rest, JetStream) use them too.
    /// </summary>
    public static void DeleteBuildOutput()
    {
        if (_built.IsValueCreated && _built.Value.IsCompletedSuccessfully)
        {
            TestDirectories.DeleteQuietly(Path.GetDirectoryName(_built.Value.Result)!);
        }
    }

    /// <summary>The folder of a built plugin variant (see <see cref="EchoPluginVersion2"/>).</summary>
    public static async Task<string> VariantDirectoryAsync(string variant)
    {
        string built = await _built.Value.ConfigureAwait(false);
        return Path.Combine(Path.GetDirectoryName(built)!, "variants", variant);
    }

    /// <summary>Copies a directory tree, overwriting files.</summary>
    public static void CopyOver(string source, string target) => CopyDirectory(source, target);

    /// <summary>Copies the named built plugins into <c>&lt;parent&gt;/plugins/&lt;Name&gt;</c> and returns that plugin directory.</summary>
    public static async Task<string> CreatePluginDirectoryAsync(string parent, params string[] names)
    {
        string built = await _built.Value.ConfigureAwait(false);
        string plugins = Path.Combine(parent, "plugins");
        Directory.CreateDirectory(plugins);
        foreach (string name in names)
        {
            CopyDirectory(Path.Combine(built, name), Path.Combine(plugins, name));
        }

        return plugins;
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RunnerHost.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No RunnerHost.sln above {AppContext.BaseDirectory}");
    }

    private static async Task<string> BuildAllAsync()
    {
        string repo = RepoRoot();
        string root = Path.Combine(Path.GetTempPath(), "runnerhost-testplugins-" + Guid.NewGuid().ToString("N"));
        string plugins = Path.Combine(root, "plugins");
        string abstractions = Path.Combine("src", "Abstractions", "Abstractions.csproj");
        string futurePath = Path.Combine(root, "abs2", "RunnerHost.Abstractions.dll");
        string futureProperty = "-p:FutureAbstractionsPath=" + futurePath;
        string minorPath = Path.Combine(root, "abs112", "RunnerHost.Abstractions.dll");
        string contractProperty = "-p:ContractPath=" + Path.Combine(repo, "src", "Abstractions", "bin", "Release", "net10.0", "RunnerHost.Abstractions.dll");

        await RunDotnetAsync(repo, "build", abstractions, "-c", "Release").ConfigureAwait(false);
        // Its own configuration keeps the 2.0.0.0 copy out of the contract's normal obj/bin folders.
        await RunDotnetAsync(repo, "build", abstractions, "-c", "FutureAbstractions", $"-p:AssemblyVersion={FutureMajorVersion}.0", $"-p:Version={FutureMajorVersion}", "-o", Path.GetDirectoryName(futurePath)!).ConfigureAwait(false);
        // Only Version, as a release would set it: the assembly version must follow (docs/abstractions-versioning.md).
        await RunDotnetAsync(repo, "build", abstractions, "-c", "FutureMinorAbstractions", $"-p:Version={FutureMinorVersion}", "-o", Path.GetDirectoryName(minorPath)!).ConfigureAwait(false);
        foreach (string name in AllPlugins)
        {
            await RunDotnetAsync(repo, "restore", ProjectOf(name), futureProperty).ConfigureAwait(false);
        }

        // Not a plugin: the "MimeKit" 99.0.0.0 that FutureMimeKitPlugin is compiled against (built --no-dependencies below).
        await RunDotnetAsync(repo, "build", ProjectOf("FakeMimeKit"), "-c", "Release", "--no-restore").ConfigureAwait(false);

        // As many builds at once as there are cores: more only makes the compilers fight over them.
        await Parallel.ForEachAsync(
            AllPlugins,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            async (name, _) => await RunDotnetAsync(
                repo, "build", ProjectOf(name), "-c", "Release", "-o", Path.Combine(plugins, name), "--no-restore", "--no-dependencies", futureProperty, contractProperty).ConfigureAwait(false)).ConfigureAwait(false);

        // A second version of EchoPlugin for reload tests; after the first build because they share obj/.
        await RunDotnetAsync(
            repo, "build", ProjectOf("EchoPlugin"), "-c", "Release", "-o", Path.Combine(root, "variants", EchoPluginVersion2), "--no-restore", "--no-dependencies",
            "-p:EchoStyle=angle", "-p:Version=2.0.0").ConfigureAwait(false);
        foreach (var (variant, generation) in new[] { (VersionedPluginV2, "2"), (VersionedPluginV3, "3") })
        {
            await RunDotnetAsync(
                repo, "build", ProjectOf("VersionedPlugin"), "-c", "Release", "-o", Path.Combine(root, "variants", variant), "--no-restore", "--no-dependencies",
                "-p:Generation=" + generation).ConfigureAwait(false);
        }

        await RunDotnetAsync(
            repo, "build", ProjectOf("FutureAbstractionsPlugin"), "-c", "Release", "-o", Path.Combine(root, "variants", FutureMinorAbstractionsPlugin), "--no-restore", "--no-dependencies",
            "-p:FutureAbstractionsPath=" + minorPath).ConfigureAwait(false);
        return plugins;
    }

    private static string ProjectOf(string name) => Path.Combine("tests", "TestPlugins", name, name + ".csproj");

    private static Task<string> RunDotnetAsync(string workingDirectory, params string[] arguments) =>
        Support.DotnetCli.RunAsync(workingDirectory, arguments);

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        foreach (string sub in Directory.GetDirectories(source))
        {
            CopyDirectory(sub, Path.Combine(target, Path.GetFileName(sub)));
        }
    }
}
