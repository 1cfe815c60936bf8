using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Hosting.Tests.Configuration;

public sealed class PathExpansionTests
{
    private static HostConfiguration Build(string text)
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("test", "[runner.master]\nclass: R\n" + text);
        return stack.Build();
    }

    private static string Cwd => Directory.GetCurrentDirectory();

    [Test]
    public void Paths_expand_and_become_absolute()
    {
        var paths = Build("[paths]\nvar_dir: /srv/rh\nlog_dir: ${var_dir}/log\n").Paths;

        Assert.Multiple(() =>
        {
            Assert.That(paths.VarDir, Is.EqualTo("/srv/rh"));
            Assert.That(paths.QueueDir, Is.EqualTo("/srv/rh/queue"));
            Assert.That(paths.LogDir, Is.EqualTo("/srv/rh/log"));
            Assert.That(paths.LockDir, Is.EqualTo("/srv/rh/locks"));
            Assert.That(paths.ArchiveDir, Is.EqualTo("/srv/rh/archives"));
            Assert.That(paths.PluginDir, Is.EqualTo(Path.Combine(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), "plugins")));
        });
    }

    [Test]
    public void Relative_paths_resolve_against_the_current_directory()
    {
        var paths = Build("[paths]\nvar_dir: data/var\nlock_dir: $cwd/locks\n").Paths;

        Assert.Multiple(() =>
        {
            Assert.That(paths.VarDir, Is.EqualTo(Path.Combine(Cwd, "data", "var")));
            Assert.That(paths.QueueDir, Is.EqualTo(Path.Combine(Cwd, "data", "var", "queue")));
            Assert.That(paths.LockDir, Is.EqualTo(Path.Combine(Cwd, "locks")));
        });
    }

    [Test]
    public void Variable_names_are_case_insensitive()
    {
        var config = Build("[paths]\nvar_dir: /srv/rh\n[runner.up]\npath: $QUEUE_DIR/upper/$name\n");

        Assert.That(config.GetRunner("up").QueuePath, Is.EqualTo("/srv/rh/queue/upper/up"));
    }

    [Test]
    public void Unknown_variables_are_errors_naming_the_layer_line_and_key()
    {
        // They were left as written (safe_substitute), so a misspelt $var_dri silently became a directory of that name.
        var inPaths = Assert.Throws<ConfigurationException>(() => Build("[paths]\nvar_dir: /srv/rh\narchive_dir: /a/$foo/${bar}\n"));
        var inRunner = Assert.Throws<ConfigurationException>(() => Build("[paths]\nvar_dir: /srv/rh\n[runner.x]\npath: /q/${bar}/$name\n"));

        Assert.Multiple(() =>
        {
            Assert.That(inPaths!.Message, Does.StartWith("<layer test>:5: [paths] archive_dir: undefined variable $foo ("));
            Assert.That(inRunner!.Message, Does.StartWith("<layer test>:6: [runner.x] path: undefined variable $bar ("));
        });
    }

    [Test]
    public void Double_dollar_is_a_literal_dollar()
    {
        Assert.That(Build("[paths]\narchive_dir: /a/$$var_dir\n").Paths.ArchiveDir, Is.EqualTo("/a/$var_dir"));
    }

    [Test]
    public void Other_runner_values_expand_variables_without_becoming_paths()
    {
        var runner = Build("[paths]\nvar_dir: /srv/rh\n[runner.archive]\nmaildir: $archive_dir/$name\ngreeting: cost $5 or $$6\n").GetRunner("archive");

        Assert.That(runner.GetString("maildir"), Is.EqualTo("/srv/rh/archives/archive"));
        Assert.That(runner.GetString("greeting"), Is.EqualTo("cost $5 or $6"));
    }

    [Test]
    public void Empty_runner_path_means_no_queue()
    {
        Assert.That(Build("[runner.rest]\npath:\n").GetRunner("rest").QueuePath, Is.Null);
    }

    [Test]
    public void Variable_loops_are_errors_naming_the_key()
    {
        var error = Assert.Throws<ConfigurationException>(() => Build("[paths]\nvar_dir: $queue_dir/v\nqueue_dir: $var_dir/queue\n"));

        Assert.That(error!.Message, Is.EqualTo("<layer test>:4: [paths] var_dir: $-variable loop: var_dir -> queue_dir -> var_dir"));
    }

    [Test]
    public void Unknown_paths_key_is_an_error()
    {
        var error = Assert.Throws<ConfigurationException>(() => Build("[paths]\ntmp_dir: /tmp\n"));

        Assert.That(error!.Message, Does.StartWith("<layer test>:4: [paths] tmp_dir: unknown key"));
    }
}
