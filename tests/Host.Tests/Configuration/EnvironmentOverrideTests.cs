using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Hosting.Tests.Configuration;

/// <summary>Changes process-wide environment variables, so it must not run beside other fixtures.</summary>
[NonParallelizable]
public sealed class EnvironmentOverrideTests
{
    private TempConfigDirectory _dir = null!;
    private string? _savedVarDir;
    private string? _savedConfig;
    private string? _savedPluginDir;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempConfigDirectory();
        _savedVarDir = Environment.GetEnvironmentVariable(ConfigurationStack.VarDirEnvironmentVariable);
        _savedConfig = Environment.GetEnvironmentVariable(ConfigurationStack.ConfigFileEnvironmentVariable);
        _savedPluginDir = Environment.GetEnvironmentVariable(ConfigurationStack.PluginDirEnvironmentVariable);
    }

    [TearDown]
    public void TearDown()
    {
        Environment.SetEnvironmentVariable(ConfigurationStack.VarDirEnvironmentVariable, _savedVarDir);
        Environment.SetEnvironmentVariable(ConfigurationStack.ConfigFileEnvironmentVariable, _savedConfig);
        Environment.SetEnvironmentVariable(ConfigurationStack.PluginDirEnvironmentVariable, _savedPluginDir);
        _dir.Delete();
    }

    [Test]
    public void Var_dir_environment_variable_replaces_var_dir_before_expansion()
    {
        var file = _dir.Write("[paths]\nvar_dir: /from/file\n[runner.master]\nclass: R\n");
        var varDir = Path.Combine(_dir.Path, "env-var");
        Environment.SetEnvironmentVariable(ConfigurationStack.VarDirEnvironmentVariable, varDir);

        var config = ConfigurationStack.Load(file).Build();

        Assert.Multiple(() =>
        {
            Assert.That(config.Paths.VarDir, Is.EqualTo(varDir));
            Assert.That(config.Paths.QueueDir, Is.EqualTo(Path.Combine(varDir, "queue")));
            Assert.That(config.GetRunner("shunt").QueuePath, Is.EqualTo(Path.Combine(varDir, "queue", "shunt")));
        });
    }

    [Test]
    public void Plugin_dir_environment_variable_wins_over_the_file()
    {
        var file = _dir.Write("[paths]\nplugin_dir: /from/file\n");
        var pluginDir = Path.Combine(_dir.Path, "env-plugins");
        Environment.SetEnvironmentVariable(ConfigurationStack.PluginDirEnvironmentVariable, pluginDir);

        var config = ConfigurationStack.Load(file).Build();

        Assert.That(config.Paths.PluginDir, Is.EqualTo(pluginDir));
    }

    [Test]
    public void Config_environment_variable_names_the_file_when_none_is_given()
    {
        var file = _dir.Write("[runner.master]\nmax_restarts: 7\n");
        Environment.SetEnvironmentVariable(ConfigurationStack.ConfigFileEnvironmentVariable, file);

        var stack = ConfigurationStack.Load(null);

        Assert.Multiple(() =>
        {
            Assert.That(stack.ConfigFile, Is.EqualTo(file));
            Assert.That(stack.Root["runner.master:max_restarts"], Is.EqualTo("7"));
        });
    }

    [Test]
    public void Config_environment_variable_naming_a_missing_file_is_an_error()
    {
        var missing = Path.Combine(_dir.Path, "missing.cfg");
        Environment.SetEnvironmentVariable(ConfigurationStack.ConfigFileEnvironmentVariable, missing);

        var error = Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(null));

        Assert.That(error!.Message, Is.EqualTo($"{missing}: configuration file not found"));
    }
}
