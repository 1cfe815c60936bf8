using RunnerHost.Configuration;
using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Hosting.Tests.Configuration;

/// <summary>What used to be accepted silently: misspelt keys and sections, repeated sections, undefined variables, overlapping queues.</summary>
public sealed class ConfigurationCheckTests
{
    private TempConfigDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempConfigDirectory();

    [TearDown]
    public void TearDown() => _dir.Delete();

    [Test]
    public void A_repeated_section_is_merged_with_a_warning_naming_both_lines()
    {
        var file = _dir.Write("[runner.in]\nclass: A\n\n[list.x]\nposting_address: x@example.com\n[runner.in]\ninstances: 2\n");

        var config = ConfigurationStack.Load(file).Build();

        Assert.That(config.GetRunner("in").Instances, Is.EqualTo(2));
        Assert.That(config.Warnings, Is.EqualTo(new[] { $"{file}:6: [runner.in] repeats the section of line 1; their keys are merged" }));
    }

    [Test]
    public void An_unknown_section_is_a_warning_with_a_suggestion()
    {
        var file = _dir.Write("[runners.in]\nclass: A\n[path]\nvar_dir: /x\n[frobnicate]\na: 1\n");

        var warnings = ConfigurationStack.Load(file).Build().Warnings;

        Assert.That(warnings, Is.EqualTo(new[]
        {
            $"{file}:1: [runners.in]: unknown section, ignored (known: [paths], [queues], [tracing], [lists], [list.NAME], [runner.NAME]); did you mean [runner.in]?",
            $"{file}:3: [path]: unknown section, ignored (known: [paths], [queues], [tracing], [lists], [list.NAME], [runner.NAME]); did you mean [paths]?",
            $"{file}:5: [frobnicate]: unknown section, ignored (known: [paths], [queues], [tracing], [lists], [list.NAME], [runner.NAME])",
        }));
    }

    [Test]
    public void A_near_miss_of_a_host_key_in_runner_master_is_a_warning()
    {
        var file = _dir.Write("[runner.master]\nclass: A\ninstanses: 2\nsmtp_host: mail\n");

        var warnings = ConfigurationStack.Load(file).Build().Warnings;

        Assert.That(warnings, Is.EqualTo(new[] { $"{file}:3: [runner.master] instanses: not a RunnerHost key; did you mean `instances`?" }));
    }

    [Test]
    public void A_clean_configuration_has_no_warnings()
    {
        var file = _dir.Write(File.ReadAllText(Path.Combine(Plugins.TestPluginBuilder.RepoRoot(), "config", "runner-host.cfg")));

        Assert.That(ConfigurationStack.Load(file).Build().Warnings, Is.Empty);
    }

    [Test]
    public void Unknown_keys_in_paths_and_list_sections_suggest_the_closest_key()
    {
        var paths = _dir.Write("[paths]\nvar_dri: /x\n", "a.cfg");
        var list = _dir.Write("[list.t]\nposting_address: t@example.com\nmembres: a@example.com\n", "b.cfg");

        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(paths).Build())!.Message,
                Is.EqualTo($"{paths}:2: [paths] var_dri: unknown key (known: var_dir, queue_dir, log_dir, lock_dir, archive_dir, plugin_dir); did you mean `var_dir`?"));
            Assert.That(Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(list).Build())!.Message,
                Is.EqualTo($"{list}:3: [list.t] membres: unknown key (known: posting_address, list_id, display_name, preferred_language, members, owners); did you mean `members`?"));
        });
    }

    [Test]
    public void Plugin_keys_are_checked_against_the_runner_types_declarations()
    {
        var file = _dir.Write("[runner.greet]\nclass: G\ngreeting: hi\ngreetng: hi\nx_colour: blue\ninstanses: 2\nbogus: 1\n");
        var config = ConfigurationStack.Load(file).Build();

        var warnings = RunnerKeyCheck.Check(config, config.GetRunner("greet"), typeof(DeclaringRunner));

        Assert.That(warnings, Is.EqualTo(new[]
        {
            $"{file}:4: [runner.greet] greetng: unknown key, read neither by RunnerHost nor by {typeof(DeclaringRunner).FullName}; did you mean `greeting`?",
            $"{file}:6: [runner.greet] instanses: unknown key, read neither by RunnerHost nor by {typeof(DeclaringRunner).FullName}; did you mean `instances`?",
            $"{file}:7: [runner.greet] bogus: unknown key, read neither by RunnerHost nor by {typeof(DeclaringRunner).FullName}",
        }));
    }

    [Test]
    public void A_runner_type_without_declarations_only_gets_near_misses_of_host_keys_reported()
    {
        var file = _dir.Write("[runner.plain]\nclass: P\nanything: 1\nsleep_tme: 1s\n");
        var config = ConfigurationStack.Load(file).Build();

        var warnings = RunnerKeyCheck.Check(config, config.GetRunner("plain"), typeof(UndeclaredRunner));

        Assert.That(warnings, Is.EqualTo(new[]
        {
            $"{file}:4: [runner.plain] sleep_tme: not a RunnerHost key; did you mean `sleep_time`? ({typeof(UndeclaredRunner).FullName} declares no [RunnerSetting] keys, so its own are not checked)",
        }));
    }

    [Test]
    public void Declarations_are_inherited_and_keys_of_runner_master_are_not_the_runners_to_answer_for()
    {
        var file = _dir.Write("[runner.master]\nclass: G\nsmtp_host: mail\n[runner.greet]\ngreeting: hi\nextra: 1\n");
        var config = ConfigurationStack.Load(file).Build();

        var warnings = RunnerKeyCheck.Check(config, config.GetRunner("greet"), typeof(DerivedRunner));

        Assert.That(warnings, Is.Empty);
    }

    [Test]
    public void An_undefined_variable_is_an_error_naming_file_line_and_key()
    {
        var inPaths = _dir.Write("[paths]\nvar_dir: /srv/rh\narchive_dir: $var_dri/archives\n", "a.cfg");
        var inRunner = _dir.Write("[paths]\nvar_dir: /srv/rh\n[runner.archive]\nclass: A\nmaildir: $archive_dir/$nmae\n", "b.cfg");
        var inPath = _dir.Write("[runner.x]\npath: ${queue}/x\n", "c.cfg");

        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(inPaths).Build())!.Message,
                Is.EqualTo($"{inPaths}:3: [paths] archive_dir: undefined variable $var_dri (did you mean $var_dir? known: $archive_dir, $lock_dir, $log_dir, $plugin_dir, $queue_dir, $var_dir, $host_dir, $cwd; write $$ for a literal $)"));
            Assert.That(Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(inRunner).Build())!.Message,
                Does.StartWith($"{inRunner}:5: [runner.archive] maildir: undefined variable $nmae (did you mean $name? known: "));
            Assert.That(Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(inPath).Build())!.Message,
                Does.StartWith($"{inPath}:2: [runner.x] path: undefined variable $queue ("));
        });
    }

    [Test]
    public void Two_runners_on_one_queue_with_different_instances_are_an_error()
    {
        var file = _dir.Write("[runner.a]\nclass: A\npath: /srv/q/shared\ninstances: 2\n[runner.b]\nclass: B\npath: /srv/q/shared/\ninstances: 4\n");

        var error = Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(file).Build());

        Assert.That(error!.Message, Is.EqualTo(
            $"{file}:8: [runner.b] instances: 4 differs from instances: 2 of [runner.a] ({file}:4), which has the same queue /srv/q/shared/: their slices would overlap"));
    }

    [Test]
    public void Two_runners_on_one_queue_with_the_same_instances_are_accepted()
    {
        var file = _dir.Write("[runner.a]\nclass: A\npath: /srv/q/shared\ninstances: 2\n[runner.b]\nclass: B\npath: /srv/q/shared\ninstances: 2\n");

        Assert.That(ConfigurationStack.Load(file).Build().Runners.Count(r => r.QueuePath == "/srv/q/shared"), Is.EqualTo(2));
    }

    [Test]
    public void A_directory_given_as_the_configuration_file_says_it_is_a_directory()
    {
        _dir.Write("[runner.in]\nclass: A\n");

        var error = Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(_dir.Path));

        Assert.That(error!.Message, Is.EqualTo(
            $"{_dir.Path}: is a directory, not a configuration file (given by -C); did you mean {Path.Combine(_dir.Path, "runner-host.cfg")}?"));
    }

    [RunnerSetting("greeting")]
    [RunnerSetting("x_*")]
    private sealed class DeclaringRunner(RunnerContext context) : Runner(context);

    private sealed class UndeclaredRunner(RunnerContext context) : Runner(context);

    [RunnerSetting("greeting", "extra")]
    private class BaseRunner(RunnerContext context) : Runner(context);

    private sealed class DerivedRunner(RunnerContext context) : BaseRunner(context);
}
