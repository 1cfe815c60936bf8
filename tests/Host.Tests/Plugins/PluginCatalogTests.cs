using RunnerHost.Hosting.Tests.Support;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>One plugin directory with good and broken plugins side by side, loaded once.</summary>
[TestFixture]
public sealed class PluginCatalogTests
{
    private string _temp = null!;
    private string _pluginDirectory = null!;
    private ListLoggerProvider _logs = null!;
    private ILoggerFactory _loggerFactory = null!;
    private PluginCatalog _catalog = null!;

    [OneTimeSetUp]
    public async Task LoadCatalogAsync()
    {
        _temp = TestDirectories.CreateTemp("catalog");
        _pluginDirectory = await TestPluginBuilder.CreatePluginDirectoryAsync(
            _temp, "EchoPlugin", "JsonOldPlugin", "NotARunnerPlugin", "MissingDependencyPlugin", "FutureAbstractionsPlugin");
        Directory.CreateDirectory(Path.Combine(_pluginDirectory, "Empty"));
        Directory.CreateDirectory(Path.Combine(_pluginDirectory, "Corrupt"));
        await File.WriteAllBytesAsync(Path.Combine(_pluginDirectory, "Corrupt", "Corrupt.dll"), [0x4d, 0x5a, 1, 2, 3, 4, 5, 6, 7, 8]);
        File.Delete(Path.Combine(_pluginDirectory, "MissingDependencyPlugin", "Newtonsoft.Json.dll"));

        _logs = new ListLoggerProvider();
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs));
        _catalog = new PluginCatalog(_pluginDirectory, _loggerFactory);
    }

    [OneTimeTearDown]
    public void DisposeCatalog()
    {
        _catalog.Dispose();
        _loggerFactory.Dispose();
        _logs.Dispose();
        TestDirectories.DeleteQuietly(_temp);
    }

    [Test]
    public void Every_folder_is_listed_in_ordinal_order()
    {
        Assert.That(
            _catalog.Plugins.Select(p => p.Name),
            Is.EqualTo(["Corrupt", "EchoPlugin", "Empty", "FutureAbstractionsPlugin", "JsonOldPlugin", "MissingDependencyPlugin", "NotARunnerPlugin"]));
    }

    [Test]
    public void Good_plugins_load_next_to_broken_ones()
    {
        var echo = Plugin("EchoPlugin");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(echo.Error, Is.Null);
            Assert.That(echo.IsLoaded, Is.True);
            Assert.That(echo.Version, Is.EqualTo("1.2.3"));
            Assert.That(echo.Directory, Is.EqualTo(Path.Combine(_pluginDirectory, "EchoPlugin")));
            Assert.That(echo.AssemblyPath, Is.EqualTo(Path.Combine(_pluginDirectory, "EchoPlugin", "EchoPlugin.dll")));
            Assert.That(echo.RunnerTypes.Select(t => t.FullName), Is.EqualTo(["EchoPlugin.EchoRunner"]));
            Assert.That(Plugin("JsonOldPlugin").IsLoaded, Is.True);
        }
    }

    [Test]
    public void Runner_types_are_assignable_to_the_hosts_Runner_and_live_in_the_plugin_context()
    {
        var echo = Plugin("EchoPlugin");
        var runnerType = echo.RunnerTypes.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(typeof(Runner).IsAssignableFrom(runnerType), Is.True);
            Assert.That(runnerType.BaseType, Is.SameAs(typeof(Runner)));
            Assert.That(System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(runnerType.Assembly), Is.SameAs(echo.LoadContext));
            Assert.That(echo.LoadContext!.IsCollectible, Is.True);
        }
    }

    [Test]
    public void A_plugin_without_runner_types_loads_with_zero_runner_types()
    {
        var plugin = Plugin("NotARunnerPlugin");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(plugin.Error, Is.Null);
            Assert.That(plugin.RunnerTypes, Is.Empty);
        }
    }

    [Test]
    public void A_folder_without_its_dll_is_reported()
    {
        AssertFailure("Empty", $"plugin 'Empty' ({Path.Combine(_pluginDirectory, "Empty")}): no Empty.dll in the folder");
    }

    [Test]
    public void A_corrupt_dll_is_reported_as_not_a_NET_assembly()
    {
        AssertFailure("Corrupt", $"plugin 'Corrupt' ({Path.Combine(_pluginDirectory, "Corrupt")}): Corrupt.dll is not a .NET assembly");
    }

    [Test]
    public void A_deleted_private_dependency_is_named()
    {
        var plugin = Plugin("MissingDependencyPlugin");
        Assert.That(
            plugin.Error,
            Is.EqualTo($"plugin 'MissingDependencyPlugin' ({plugin.Directory}): missing dependency Newtonsoft.Json, Version=13.0.0.0, Culture=neutral, PublicKeyToken=30ad4fe6b2a6aeed: not in the plugin folder, its .deps.json or the host"));
        AssertLoggedOnceAsError(plugin.Error!);
    }

    [Test]
    public void The_future_plugin_really_references_Abstractions_2()
    {
        using var stream = File.OpenRead(Plugin("FutureAbstractionsPlugin").AssemblyPath);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var versions = metadata.AssemblyReferences
            .Select(h => metadata.GetAssemblyReference(h))
            .Where(r => metadata.GetString(r.Name) == "RunnerHost.Abstractions")
            .Select(r => r.Version);
        Assert.That(versions, Is.EqualTo(new[] { new Version(TestPluginBuilder.FutureMajorVersion.Major, 0, 0, 0) }));
    }

    [Test]
    public void A_plugin_built_against_another_major_of_the_contract_is_refused()
    {
        AssertFailure(
            "FutureAbstractionsPlugin",
            $"plugin 'FutureAbstractionsPlugin' ({Path.Combine(_pluginDirectory, "FutureAbstractionsPlugin")}): built against RunnerHost.Abstractions {TestPluginBuilder.FutureMajorVersion}.0, the host has {typeof(Runner).Assembly.GetName().Version}: the major version must match");
    }

    [Test]
    public void Each_failure_is_logged_once_at_error_level_and_nothing_else_is()
    {
        var errors = _logs.Lines.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message).ToArray();
        var failures = _catalog.Plugins.Where(p => p.Error is not null).Select(p => p.Error!).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(failures, Has.Length.EqualTo(4));
            Assert.That(errors, Is.EquivalentTo(failures));
            Assert.That(errors, Has.All.Not.Contain('\n'));
        }
    }

    [Test]
    public void A_relative_plugin_directory_is_rejected()
    {
        Assert.That(() => new PluginCatalog("plugins", _loggerFactory), Throws.ArgumentException.With.Message.Contains("absolute"));
    }

    [Test]
    public void A_missing_plugin_directory_is_a_PluginException()
    {
        string missing = Path.Combine(_temp, "nope");
        Assert.That(
            () => new PluginCatalog(missing, _loggerFactory),
            Throws.TypeOf<PluginException>().With.Message.EqualTo($"plugin directory '{missing}' does not exist"));
    }

    private PluginInfo Plugin(string name) => _catalog.Plugins.Single(p => p.Name == name);

    private void AssertFailure(string name, string expected)
    {
        var plugin = Plugin(name);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(plugin.Error, Is.EqualTo(expected));
            Assert.That(plugin.IsLoaded, Is.False);
            Assert.That(plugin.RunnerTypes, Is.Empty);
            Assert.That(plugin.LoadContext, Is.Null);
        }

        AssertLoggedOnceAsError(expected);
    }

    private void AssertLoggedOnceAsError(string line) =>
        Assert.That(_logs.Lines.Count(e => e.Level == LogLevel.Error && e.Message == line), Is.EqualTo(1));
}
