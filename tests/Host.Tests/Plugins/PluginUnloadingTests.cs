using RunnerHost.Hosting.Tests.Support;
using System.Runtime.CompilerServices;
using Autofac;
using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>
/// The verified pattern (dotnet-notes §4): everything that touches the plugin happens in a method that is
/// not inlined, so no stack slot of the test keeps the load context alive; the root container lives on.
/// </summary>
[TestFixture]
public sealed class PluginUnloadingTests
{
    private string _temp = null!;
    private string _pluginDirectory = null!;
    private ListLoggerProvider _logs = null!;
    private ILoggerFactory _loggerFactory = null!;
    private IContainer _root = null!;

    [OneTimeSetUp]
    public async Task DeployAsync()
    {
        _temp = TestDirectories.CreateTemp("unload");
        _pluginDirectory = await TestPluginBuilder.CreatePluginDirectoryAsync(_temp, "EchoPlugin");
        _logs = new ListLoggerProvider();
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs));
        // Long-lived like the host's: a plain BeginLifetimeScope under it would pin the plugin.
        _root = HostContainer.Build(_loggerFactory);
    }

    [OneTimeTearDown]
    public async Task DisposeAllAsync()
    {
        await _root.DisposeAsync();
        _loggerFactory.Dispose();
        _logs.Dispose();
        TestDirectories.DeleteQuietly(_temp);
    }

    [Test]
    public async Task The_load_context_is_collected_after_the_scope_and_the_catalog_are_disposed()
    {
        string output = Path.Combine(_temp, "unload.out");
        var context = LoadUseUnload(output);

        for (int i = 0; i < 30 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await File.ReadAllTextAsync(output), Is.EqualTo("[bye]\n"), "the runner really ran");
            Assert.That(context.IsAlive, Is.False, "the plugin's load context is still referenced");
        }
    }

    // Synchronous, as in the verified pattern: written as an async method the context stayed alive
    // (measured; its state machine can keep the locals, and so the plugin, reachable).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference LoadUseUnload(string output)
    {
        using var catalog = new PluginCatalog(_pluginDirectory, _loggerFactory);
        var index = new RunnerTypeIndex(catalog);
        var type = index.Resolve("EchoRunner", "test");
        var plugin = index.PluginOf(type);
        var weak = new WeakReference(plugin.LoadContext);
        var context = TestContexts.Create("echo", _loggerFactory.CreateLogger("echo"), ("output", output));
        var scope = PluginRunnerScope.CreateAsync(_root, plugin, type, "echo", context).GetAwaiter().GetResult();
        try
        {
            _ = PluginRunnerScopeTests.ProcessMessageAsync(scope.Runner, new MimeMessage { Subject = "bye" }).GetAwaiter().GetResult();
        }
        finally
        {
            scope.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return weak;
    }
}
