using RunnerHost.Hosting.Tests.Support;
using System.Reflection;
using System.Runtime.Loader;
using Autofac;
using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Hosting.Plugins;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Tests.Plugins;

[TestFixture]
public sealed class PluginRunnerScopeTests
{
    private string _temp = null!;
    private ListLoggerProvider _logs = null!;
    private ILoggerFactory _loggerFactory = null!;
    private PluginCatalog _catalog = null!;
    private RunnerTypeIndex _index = null!;
    private IContainer _root = null!;

    [OneTimeSetUp]
    public async Task LoadCatalogAsync()
    {
        _temp = TestDirectories.CreateTemp("scope");
        string plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(_temp, "EchoPlugin", "ThrowingCtorPlugin", "JsonOldPlugin", "JsonNewPlugin");
        _logs = new ListLoggerProvider();
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs));
        _catalog = new PluginCatalog(plugins, _loggerFactory);
        _index = new RunnerTypeIndex(_catalog);
        _root = HostContainer.Build(_loggerFactory);
    }

    [OneTimeTearDown]
    public async Task DisposeAllAsync()
    {
        await _root.DisposeAsync();
        _catalog.Dispose();
        _loggerFactory.Dispose();
        _logs.Dispose();
        TestDirectories.DeleteQuietly(_temp);
    }

    [Test]
    public async Task The_echo_runner_writes_each_subject_to_its_output_file()
    {
        string output = Path.Combine(_temp, "echo.out");
        await using var scope = await CreateAsync("EchoPlugin.EchoRunner", "echo", ("output", output));

        bool keep = await ProcessMessageAsync(scope.Runner, new MimeMessage { Subject = "hello" });
        _ = await ProcessMessageAsync(scope.Runner, new MimeMessage { Subject = "world" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(keep, Is.False);
            // The brackets come from the service registered by the plugin's own Autofac module.
            Assert.That(await File.ReadAllTextAsync(output), Is.EqualTo("[hello]\n[world]\n"));
            Assert.That(scope.Runner.Name, Is.EqualTo("echo"));
            Assert.That(scope.RunnerName, Is.EqualTo("echo"));
            Assert.That(scope.Plugin.Name, Is.EqualTo("EchoPlugin"));
            Assert.That(scope.Runner.GetType().GetProperty("FormatterName")!.GetValue(scope.Runner), Is.EqualTo("EchoPlugin.BracketFormatter"));
            // ILogger<EchoRunner> was built from the host root's ILoggerFactory.
            Assert.That(_logs.Lines, Has.Some.Matches<LogLine>(e => e!.Category == "EchoPlugin.EchoRunner" && e.Message == $"echo hello to {output}"));
        }
    }

    [Test]
    public async Task A_throwing_constructor_is_one_line_naming_plugin_type_and_cause()
    {
        var type = _index.Resolve("ThrowingRunner", "test");
        var ex = await Assert.ThrowsAsync<PluginException>(() => PluginRunnerScope.CreateAsync(
            _root, _index.PluginOf(type), type, "thrower", TestContexts.Create("thrower", _loggerFactory.CreateLogger("thrower"))));
        Assert.That(
            ex!.Message,
            Is.EqualTo("runner 'thrower': cannot create 'ThrowingCtorPlugin.ThrowingRunner' from plugin 'ThrowingCtorPlugin': the frobnicator is not configured"));
    }

    [Test]
    public async Task Two_plugins_use_two_versions_of_Newtonsoft_Json_in_one_process()
    {
        await using var old = await CreateAsync("JsonOldPlugin.JsonOldRunner", "old");
        await using var @new = await CreateAsync("JsonNewPlugin.JsonNewRunner", "new");

        string oldVersion = NewtonsoftVersion(old.Runner);
        string newVersion = NewtonsoftVersion(@new.Runner);
        var oldJson = AssemblyOf(old.Plugin, "Newtonsoft.Json");
        var newJson = AssemblyOf(@new.Plugin, "Newtonsoft.Json");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(oldVersion, Is.EqualTo("12.0.0.0"));
            Assert.That(newVersion, Is.EqualTo("13.0.0.0"));
            Assert.That(AssemblyLoadContext.GetLoadContext(oldJson), Is.SameAs(old.Plugin.LoadContext));
            Assert.That(AssemblyLoadContext.GetLoadContext(newJson), Is.SameAs(@new.Plugin.LoadContext));
            Assert.That(AppDomain.CurrentDomain.GetAssemblies().Where(a => AssemblyLoadContext.GetLoadContext(a) == AssemblyLoadContext.Default).Select(a => a.GetName().Name), Has.No.Member("Newtonsoft.Json"));
        }
    }

    [Test]
    public async Task A_type_from_another_plugin_is_an_argument_error()
    {
        var echoType = _index.Resolve("EchoRunner", "test");
        var json = _catalog.Plugins.Single(p => p.Name == "JsonOldPlugin");
        await Assert.ThrowsAsync<ArgumentException>(() => PluginRunnerScope.CreateAsync(
            _root, json, echoType, "x", TestContexts.Create("x", _loggerFactory.CreateLogger("x"))));
    }

    private async Task<PluginRunnerScope> CreateAsync(string className, string name, params (string Key, string Value)[] settings)
    {
        var type = _index.Resolve(className, "test");
        var context = TestContexts.Create(name, _loggerFactory.CreateLogger(name), settings);
        return await PluginRunnerScope.CreateAsync(_root, _index.PluginOf(type), type, name, context);
    }

    // The hook is protected: the host's loop calls it through the contract's internal bridge, as here.
    internal static Task<bool> ProcessMessageAsync(RunnerBase runner, MimeMessage message) =>
        ((Runner)runner).InvokeProcessAsync(new FakeMailingList(), new QueueEntry("test", message, new MessageData(), ReadOnlyMemory<byte>.Empty, 1), CancellationToken.None);

    private static string NewtonsoftVersion(RunnerBase runner) =>
        (string)runner.GetType().GetMethod("NewtonsoftVersion", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;

    private static Assembly AssemblyOf(PluginInfo plugin, string name) =>
        plugin.LoadContext!.Assemblies.Single(a => a.GetName().Name == name);
}
