using System.Text;
using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Hosting.Tests.Configuration;

public sealed class MailmanIniParserTests
{
    private static ParsedIni Parse(string text, string file = "test.cfg")
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return MailmanIniParser.Parse(stream, file);
    }

    private static string ParseError(string text) =>
        Assert.Throws<ConfigurationException>(() => Parse(text))!.Message;

    [Test]
    public void Colon_and_equals_delimiters_both_work()
    {
        var parsed = Parse("[runner.in]\nclass: Echo.Runner\ninstances = 2\n");

        Assert.Multiple(() =>
        {
            Assert.That(parsed.Data["runner.in:class"], Is.EqualTo("Echo.Runner"));
            Assert.That(parsed.Data["runner.in:instances"], Is.EqualTo("2"));
        });
    }

    [Test]
    public void First_delimiter_on_the_line_wins()
    {
        var parsed = Parse("[a]\nurl: http://x/y=z\nexpr = b:c\n");

        Assert.Multiple(() =>
        {
            Assert.That(parsed.Data["a:url"], Is.EqualTo("http://x/y=z"));
            Assert.That(parsed.Data["a:expr"], Is.EqualTo("b:c"));
            Assert.That(parsed.Data, Has.Count.EqualTo(2));
        });
    }

    [Test]
    public void Full_line_comments_and_blank_lines_are_ignored()
    {
        var parsed = Parse("# hash\n; semicolon\n[a]\n\n   # indented comment\nk: v ; not a comment\n");

        Assert.Multiple(() =>
        {
            Assert.That(parsed.Data, Has.Count.EqualTo(1));
            Assert.That(parsed.Data["a:k"], Is.EqualTo("v ; not a comment"));
        });
    }

    [Test]
    public void Continuation_lines_are_joined_with_newlines_and_a_leading_empty_line_is_dropped()
    {
        var parsed = Parse("[a]\nchecks:\n    X-Spam: yes\n\n    X-Other: no\nsingle: one\n  two\n");

        Assert.Multiple(() =>
        {
            Assert.That(parsed.Data["a:checks"], Is.EqualTo("X-Spam: yes\nX-Other: no"));
            Assert.That(parsed.Data["a:single"], Is.EqualTo("one\ntwo"));
            Assert.That(parsed.Origins["a:checks"].ValueLines, Is.EqualTo(new List<int> { 3, 5 }));
            Assert.That(parsed.Origins["a:single"].ValueLines, Is.EqualTo(new List<int> { 6, 7 }));
        });
    }

    [Test]
    public void Section_names_keep_dots_and_keys_are_case_insensitive()
    {
        var parsed = Parse("[runner.in]\nMax_Restarts: 3\n");

        Assert.Multiple(() =>
        {
            Assert.That(parsed.Data["runner.in:max_restarts"], Is.EqualTo("3"));
            Assert.That(parsed.Sections.Select(s => s.Key), Is.EqualTo(new List<string> { "runner.in" }));
        });
    }

    [Test]
    public void Origins_record_file_and_line_of_each_key()
    {
        var parsed = Parse("[a]\n\n# c\nk: v\n[b]\nk = w\n", "/etc/x.cfg");

        Assert.Multiple(() =>
        {
            Assert.That(parsed.Origins["a:k"].ToString(), Is.EqualTo("/etc/x.cfg:4"));
            Assert.That(parsed.Origins["b:k"].ToString(), Is.EqualTo("/etc/x.cfg:6"));
            Assert.That(parsed.Sections.Select(s => s.Value.ToString()), Is.EqualTo(new List<string> { "/etc/x.cfg:1", "/etc/x.cfg:5" }));
        });
    }

    [Test]
    public void Reopened_section_merges()
    {
        var parsed = Parse("[a]\nx: 1\n[b]\ny: 2\n[A]\nz: 3\n");

        Assert.Multiple(() =>
        {
            Assert.That(parsed.Data["a:z"], Is.EqualTo("3"));
            Assert.That(parsed.Sections, Has.Count.EqualTo(2));
        });
    }

    [Test]
    public void Duplicate_key_in_a_section_is_an_error_with_the_line_number()
    {
        Assert.That(ParseError("[a]\nk: 1\n\nK = 2\n"), Is.EqualTo("test.cfg:4: duplicate key 'K' in [a] (first set on line 2)"));
    }

    [Test]
    public void Same_key_in_different_sections_is_fine()
    {
        Assert.That(Parse("[a]\nk: 1\n[b]\nk: 2\n").Data, Has.Count.EqualTo(2));
    }

    [Test]
    public void Line_without_delimiter_is_an_error()
    {
        Assert.That(ParseError("[runner.in]\ninstances 3\n"), Is.EqualTo("test.cfg:2: line has no ':' or '=' delimiter: 'instances 3'"));
    }

    [Test]
    public void Continuation_line_without_a_previous_key_is_an_error()
    {
        Assert.That(ParseError("[a]\n   orphan\n"), Is.EqualTo("test.cfg:2: continuation line with no previous key: 'orphan'"));
    }

    [Test]
    public void Unterminated_section_header_is_an_error()
    {
        Assert.That(ParseError("[a]\nk: v\n[runner.in\n"), Is.EqualTo("test.cfg:3: unterminated section header: '[runner.in'"));
    }

    [Test]
    public void Empty_key_is_an_error()
    {
        Assert.That(ParseError("[a]\n: value\n"), Is.EqualTo("test.cfg:2: empty key: ': value'"));
    }

    [Test]
    public void Key_before_any_section_is_an_error()
    {
        Assert.That(ParseError("k: v\n"), Is.EqualTo("test.cfg:1: key outside any [section]: 'k: v'"));
    }

    [Test]
    public void Colon_in_a_section_name_is_an_error()
    {
        Assert.That(ParseError("[a:b]\n"), Is.EqualTo("test.cfg:1: section name must not contain ':': '[a:b]'"));
    }
}
