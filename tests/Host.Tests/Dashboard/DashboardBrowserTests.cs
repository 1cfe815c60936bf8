using Microsoft.Playwright;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Dashboard;

/// <summary>
/// The dashboard as an operator uses it: a real <c>runner-host start</c>, a real out-of-tree plugin,
/// messages injected with <c>runner-host inject</c>, and Debian's Chromium driven headless through
/// Playwright. Each test saves screenshots as attachments (docs/dashboard.md shows them).
/// </summary>
[NonParallelizable]
public sealed class DashboardBrowserTests
{
    private static readonly LocatorAssertionsToHaveCountOptions Soon = new() { Timeout = 20_000 };

    [Test]
    public async Task The_overview_lists_every_runner_slice_with_its_state_also_on_a_phone()
    {
        await using var host = await DashboardHost.StartAsync(flakyInstances: 2);
        await using var browser = await Browser.LaunchAsync();
        var tab = await browser.NewPageAsync();
        var page = tab.Page;

        await page.GotoAsync(host.Url("/"));

        foreach (string slice in new[] { "rest 0/1", "flaky 0/2", "flaky 1/2" })
        {
            await Assertions.Expect(page.Locator($"#runners tr[data-slice='{slice}'].state-running")).ToHaveCountAsync(1, Soon);
        }

        await Assertions.Expect(page.Locator("#queues tr[data-queue='flaky'] td.depth")).ToHaveTextAsync("0");
        await Assertions.Expect(page.Locator("#throughput")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "dashboard-overview");

        var phone = (await browser.NewPageAsync(390, 844)).Page;
        await phone.GotoAsync(host.Url("/"));
        await Assertions.Expect(phone.Locator("#runners tr[data-slice='flaky 1/2']")).ToHaveCountAsync(1, Soon);
        await Browser.ScreenshotAsync(phone, "dashboard-overview-phone");
        Assert.That(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), Is.True, "no sideways scrolling of the page on a phone (tables scroll in their own box)");
        Assert.That(tab.Dialogs.Concat(tab.PageErrors), Is.Empty);
    }

    [Test]
    public async Task A_shunted_message_appears_without_a_reload_and_one_click_on_unshunt_gets_it_processed()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var browser = await Browser.LaunchAsync();
        var tab = await browser.NewPageAsync();
        var page = tab.Page;
        await LogInAsync(page, host, "/dashboard/shunt");
        await Assertions.Expect(page.Locator("#shunt-empty")).ToBeVisibleAsync();
        string loadedAt = await page.EvaluateAsync<string>("() => String(performance.timeOrigin)");

        await host.InjectAsync("flaky", "From: anne@example.com\nTo: test@example.com\nSubject: first post\n\nHello.\n");

        // The page refreshes its list by itself: the same document, now with the shunted entry grouped.
        var group = page.Locator("section.group");
        await Assertions.Expect(group).ToHaveCountAsync(1, Soon);
        await Assertions.Expect(group.Locator("code")).ToHaveTextAsync("System.InvalidOperationException");
        await Assertions.Expect(group.Locator(".error-message")).ToHaveTextAsync("cannot handle 'first post' yet");
        Assert.That(await page.EvaluateAsync<string>("() => String(performance.timeOrigin)"), Is.EqualTo(loadedAt), "no reload");
        await Browser.ScreenshotAsync(page, "dashboard-shunt");

        await group.Locator("button", new() { HasText = "Unshunt" }).First.ClickAsync();

        await Assertions.Expect(page.Locator("#notice")).ToHaveTextAsync("Unshunted 1 (to flaky).");
        await Assertions.Expect(page.Locator("#shunt-empty")).ToBeVisibleAsync();
        await page.GotoAsync(host.Url("/"));
        await Assertions.Expect(page.Locator("#queues tr[data-queue='flaky'] td.depth")).ToHaveTextAsync("0", new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("#queues tr[data-queue='shunt'] td.depth")).ToHaveTextAsync("0");
        // The throughput chart counts from the host's own metrics: one shunt, then one processed entry.
        await Assertions.Expect(page.Locator(".legend .shunted")).ToHaveTextAsync("shunted 1", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator(".legend .processed")).ToHaveTextAsync("processed 1", new() { Timeout = 30_000 });
        await Browser.ScreenshotAsync(page, "dashboard-after-unshunt");
        var queues = await HostProcess.RunAsync(host.Root, null, "queues", "-C", host.Config);
        Assert.That(queues.Stdout, Does.Match(@"(?m)^\s*flaky\s+0\b").And.Match(@"(?m)^\s*shunt\s+0\b"), queues.ToString());
    }

    [Test]
    public async Task A_failed_slice_shows_a_banner_with_its_reason()
    {
        await using var host = await DashboardHost.StartAsync("""
            [runner.crasher]
            class: SupervisionPlugin.CrashingRunner
            max_restarts: 1
            restart_backoff: 0.1s
            """);
        await using var browser = await Browser.LaunchAsync();
        var page = (await browser.NewPageAsync()).Page;

        await page.GotoAsync(host.Url("/"));

        var banner = page.Locator("p.banner.error", new() { HasText = "crasher 0/1 failed" });
        await Assertions.Expect(banner).ToHaveCountAsync(1, Soon);
        await Assertions.Expect(banner).ToContainTextAsync("restart budget spent: 1 restarts within");
        await Assertions.Expect(page.Locator("#runners tr[data-slice='crasher 0/1'].state-failed")).ToHaveCountAsync(1);
        await Browser.ScreenshotAsync(page, "dashboard-failed-banner");
    }

    [Test]
    public async Task Everything_from_mail_renders_as_text_on_every_page()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var browser = await Browser.LaunchAsync();
        var tab = await browser.NewPageAsync();
        var page = tab.Page;
        const string subject = "<script>window.__xss=1</script><img src=x onerror=alert('subject')>";
        const string from = "\"<img src=x onerror=alert('from')>\" <evil@example.com>";
        const string body = "<script>alert('body')</script><a href=\"javascript:alert('link')\">click</a>\"><svg onload=alert('svg')>";
        await host.InjectAsync(
            "flaky",
            $"From: {from}\nTo: test@example.com\nSubject: {subject}\nContent-Type: text/html\n\n{body}\n",
            "note=\"><script>alert('meta')</script>",
            "x-link=javascript:alert('meta-link')");
        await LogInAsync(page, host, "/dashboard/shunt");
        await Assertions.Expect(page.Locator("section.group")).ToHaveCountAsync(1, Soon);
        string id = (await page.Locator("tr[data-entry]").First.GetAttributeAsync("data-entry"))!;

        foreach (string path in new[] { "/", "/dashboard/shunt", $"/dashboard/queues/shunt/{id}", "/dashboard/queues/shunt", "/dashboard/bad", "/dashboard/plugins" })
        {
            var response = await page.GotoAsync(host.Url(path));
            Assert.That(response!.Status, Is.EqualTo(200), path);
            Assert.That(await response.HeaderValueAsync("content-security-policy"), Does.Contain("script-src 'self'").And.Not.Contain("unsafe-inline"), path);
            await AssertNothingInjectedAsync(page, path);
        }

        await page.GotoAsync(host.Url($"/dashboard/queues/shunt/{id}"));
        await Assertions.Expect(page.Locator("#entry-headers")).ToContainTextAsync(subject);
        await Assertions.Expect(page.Locator("#entry-headers")).ToContainTextAsync("<img src=x onerror=alert('from')>");
        await Assertions.Expect(page.Locator("#entry-body")).ToContainTextAsync("<script>alert('body')</script>");
        await Assertions.Expect(page.Locator("#entry-metadata")).ToContainTextAsync("alert('meta')");
        await Assertions.Expect(page.Locator("#entry-error")).ToContainTextAsync("cannot handle '<script>window.__xss=1</script>");
        await Browser.ScreenshotAsync(page, "dashboard-entry");
        // Wait for one refresh of a live region too: inserted HTML must be as inert as the first render.
        await page.GotoAsync(host.Url("/dashboard/shunt"));
        await page.WaitForFunctionAsync("() => document.getElementById('live').dataset.updated !== undefined", null, new() { Timeout = 20_000 });
        await AssertNothingInjectedAsync(page, "/dashboard/shunt after a refresh");
        Assert.That(tab.Dialogs, Is.Empty, "no dialog opened");
        Assert.That(await page.EvaluateAsync<bool>("() => window.__xss === undefined"), Is.True, "no injected script ran");
    }

    [Test]
    public async Task A_damaged_entry_shows_in_bad_with_its_reason_and_purge_removes_it()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var browser = await Browser.LaunchAsync();
        var page = (await browser.NewPageAsync()).Page;
        await LogInAsync(page, host, "/dashboard/bad");
        await Assertions.Expect(page.Locator("#bad-empty")).ToBeVisibleAsync();

        // Garbage under a valid entry name: the flaky runner's pass preserves it in bad.
        string queue = Path.Combine(host.Root, "var", "queue", "flaky");
        Directory.CreateDirectory(queue);
        await File.WriteAllTextAsync(Path.Combine(queue, $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.5+{new string('a', 40)}.pck"), "not a queue entry");

        var row = page.Locator("#bad tr[data-entry]");
        await Assertions.Expect(row).ToHaveCountAsync(1, Soon);
        await Assertions.Expect(row.Locator("td.reason")).Not.ToBeEmptyAsync();
        await Browser.ScreenshotAsync(page, "dashboard-bad");
        await row.Locator("button", new() { HasText = "Purge" }).ClickAsync();

        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Purged ");
        await Assertions.Expect(page.Locator("#bad-empty")).ToBeVisibleAsync();
    }

    [Test]
    public async Task Actions_need_a_login_and_the_forms_anti_forgery_token()
    {
        await using var host = await DashboardHost.StartAsync();
        await using var browser = await Browser.LaunchAsync();
        var page = (await browser.NewPageAsync()).Page;
        await host.InjectAsync("flaky", "From: anne@example.com\nTo: test@example.com\nSubject: keep me\n\nHello.\n");
        var api = page.Context.APIRequest;

        var anonymous = await api.PostAsync(host.Url("/dashboard/shunt"), new() { Form = Form(api, ("act", "unshunt-all")), MaxRedirects = 0 });
        Assert.That(anonymous.Status, Is.EqualTo(401), "no session");
        await page.GotoAsync(host.Url("/dashboard/shunt"));
        Assert.That(page.Url, Does.StartWith(host.Url("/dashboard/login")), "content pages send a visitor to the login");

        await page.FillAsync("#token", "not-the-token-at-all");
        await page.ClickAsync("#login-submit");
        await Assertions.Expect(page.Locator("#login-failed")).ToBeVisibleAsync();

        await LogInAsync(page, host, "/dashboard/shunt");
        await Assertions.Expect(page.Locator("section.group")).ToHaveCountAsync(1, Soon);
        var forged = await api.PostAsync(host.Url("/dashboard/shunt"), new() { Form = Form(api, ("act", "unshunt-all")), MaxRedirects = 0 });
        Assert.That(forged.Status, Is.EqualTo(400), "a session without the form's anti-forgery token");
        await Assertions.Expect(page.Locator("section.group")).ToHaveCountAsync(1);

        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "runnerhost.session");
        Assert.That((session.HttpOnly, session.SameSite), Is.EqualTo((true, SameSiteAttribute.Strict)));

        await page.ClickAsync("#logout");
        await page.GotoAsync(host.Url("/dashboard/shunt"));
        Assert.That(page.Url, Does.StartWith(host.Url("/dashboard/login")), "logged out");
        await Browser.ScreenshotAsync(page, "dashboard-login");
    }

    private static IFormData Form(IAPIRequestContext api, params (string Name, string Value)[] fields)
    {
        var form = api.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Append(name, value);
        }

        return form;
    }

    private static async Task LogInAsync(IPage page, DashboardHost host, string returnTo)
    {
        // Twice at most: in full CI runs a first login has twice (of ~800 tests) not reached its page in 30 s,
        // never when the fixture runs alone. The first miss is written to the test log with where the
        // browser ended and the host's stderr, so the next occurrence can be diagnosed; a second miss fails.
        if (await TryLogInAsync(page, host, returnTo) is { } first)
        {
            TestContext.Progress.WriteLine($"first login attempt failed, retrying: {first}");
            if (await TryLogInAsync(page, host, returnTo) is { } second)
            {
                Assert.Fail(second);
            }
        }
    }

    // Null when the login reached returnTo; otherwise where it ended and what the host said.
    private static async Task<string?> TryLogInAsync(IPage page, DashboardHost host, string returnTo)
    {
        await page.GotoAsync(host.Url("/dashboard/login?returnUrl=" + Uri.EscapeDataString(returnTo)));
        await page.FillAsync("#token", DashboardHost.Token);
        await page.ClickAsync("#login-submit");
        try
        {
            await page.WaitForURLAsync(host.Url(returnTo));
            return null;
        }
        catch (TimeoutException)
        {
            string text = await page.InnerTextAsync("body");
            return $"login did not reach {returnTo}; at {page.Url}: {text[..Math.Min(text.Length, 400)]}\nhost stderr:\n{host.Stderr[^Math.Min(host.Stderr.Length, 4000)..]}";
        }
    }

    // Only the dashboard's own script and chart exist: nothing from a message became an element or handler.
    private static async Task AssertNothingInjectedAsync(IPage page, string where)
    {
        string[] scripts = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('script')].map(s => s.getAttribute('src') ?? 'inline')");
        Assert.That(scripts, Is.EqualTo(new[] { "/dashboard/assets/dashboard.js" }), where);
        Assert.That(await page.Locator("img, iframe, object, embed").CountAsync(), Is.Zero, where);
        Assert.That(await page.Locator("svg:not(#throughput)").CountAsync(), Is.Zero, where);
        Assert.That(await page.Locator("a[href^='javascript:' i]").CountAsync(), Is.Zero, where);
        int handlers = await page.EvaluateAsync<int>("() => [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length");
        Assert.That(handlers, Is.Zero, where);
    }
}
