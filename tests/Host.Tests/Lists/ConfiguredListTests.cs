using RunnerHost.Hosting.Configuration;
using RunnerHost.Lists;

namespace RunnerHost.Hosting.Tests.Lists;

public sealed class ConfiguredListTests
{
    private static IListManager Lists(string text)
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("lists", text);
        return stack.Build().Lists;
    }

    private static string ListError(string text) =>
        Assert.Throws<ConfigurationException>(() => Lists(text))!.Message;

    [Test]
    public void Defaults_are_derived_from_the_posting_address_and_name()
    {
        var list = Lists("[list.test]\nposting_address: test@example.com\n").GetByListId("test.example.com");

        Assert.Multiple(() =>
        {
            Assert.That(list, Is.Not.Null);
            Assert.That(list!.PostingAddress, Is.EqualTo("test@example.com"));
            Assert.That(list.DisplayName, Is.EqualTo("test"));
            Assert.That(list.PreferredLanguage, Is.EqualTo("en"));
            Assert.That(list.Members, Is.Empty);
            Assert.That(list.Owners, Is.Empty);
        });
    }

    [Test]
    public void Lists_are_found_by_list_id_and_posting_address_ignoring_case()
    {
        var manager = Lists("[list.a]\nposting_address: a@example.com\nlist_id: alpha.example.com\ndisplay_name: Alpha\npreferred_language: de\n[list.b]\nposting_address: b@example.com\n");

        Assert.Multiple(() =>
        {
            Assert.That(manager.Lists, Has.Count.EqualTo(2));
            Assert.That(manager.GetByListId("ALPHA.example.com")?.DisplayName, Is.EqualTo("Alpha"));
            Assert.That(manager.GetByPostingAddress("A@Example.com")?.ListId, Is.EqualTo("alpha.example.com"));
            Assert.That(manager.Find("b@example.com")?.ListId, Is.EqualTo("b.example.com"));
            Assert.That(manager.Find("b.example.com")?.PostingAddress, Is.EqualTo("b@example.com"));
            Assert.That(manager.GetByListId("a.example.com"), Is.Null);
            Assert.That(manager.GetByListId("alpha.example.com")?.PreferredLanguage, Is.EqualTo("de"));
        });
    }

    [Test]
    public void Members_one_per_line_or_comma_separated_with_names_and_languages()
    {
        var list = Lists(
            "[list.test]\nposting_address: test@example.com\nmembers:\n" +
            "    anne@example.com\n" +
            "    Bart Simpson <bart@example.com> lang=fr, \"Doe, Jo\" <jo@example.com>\n" +
            "owners: owner@example.com lang=de\n").GetByListId("test.example.com")!;

        Assert.Multiple(() =>
        {
            Assert.That(list.Members, Is.EqualTo(new List<ListMember>
            {
                new("anne@example.com"),
                new("bart@example.com", "Bart Simpson", "fr"),
                new("jo@example.com", "Doe, Jo"),
            }));
            Assert.That(list.Owners, Is.EqualTo(new List<ListMember> { new("owner@example.com", null, "de") }));
            Assert.That(list.FindMember("BART@example.com")?.DisplayName, Is.EqualTo("Bart Simpson"));
        });
    }

    [Test]
    public void Bad_member_address_names_its_own_line()
    {
        var message = ListError("[list.test]\nposting_address: test@example.com\nmembers:\n    anne@example.com\n    not-an-address\n");

        Assert.That(message, Does.StartWith("<layer lists>:5: [list.test] members: 'not-an-address' is not an e-mail address"));
    }

    [Test]
    public void Missing_posting_address_is_an_error()
    {
        Assert.That(ListError("[list.test]\ndisplay_name: Test\n"), Is.EqualTo("<layer lists>:1: [list.test] posting_address: no posting address given"));
    }

    [Test]
    public void Bad_posting_address_is_an_error()
    {
        Assert.That(ListError("[list.test]\nposting_address: test\n"), Is.EqualTo("<layer lists>:2: [list.test] posting_address: 'test' is not a bare e-mail address such as test@example.com"));
    }

    [Test]
    public void Unknown_list_key_is_an_error()
    {
        Assert.That(ListError("[list.test]\nposting_address: t@example.com\nmoderators: m@example.com\n"), Does.StartWith("<layer lists>:3: [list.test] moderators: unknown key"));
    }

    [Test]
    public void Duplicate_list_id_is_an_error()
    {
        var message = ListError("[list.a]\nposting_address: a@example.com\nlist_id: same.example.com\n[list.b]\nposting_address: b@example.com\nlist_id: same.example.com\n");

        Assert.That(message, Is.EqualTo("<layer lists>:6: [list.b] list_id: 'same.example.com' is already used by [list.a]"));
    }
}
