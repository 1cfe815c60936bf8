using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Playwright;

namespace RunnerHost.Hosting.Tests.Support;

/// <summary>
/// Debian's headless Chromium (installed by tests/prerequisites.sh), driven through Playwright. The
/// system browser is launched by its path: Playwright's own browser builds are never downloaded, so
/// <c>playwright install</c> is not needed. Each page gets its own context (cookies, storage, viewport).
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    /// <summary>Overrides where the Chromium executable is.</summary>
    public const string ExecutableVariable = "RUNNERHOST_CHROMIUM";

    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser, TimeSpan launchTime)
    {
        _playwright = playwright;
        _browser = browser;
        LaunchTime = launchTime;
    }

    /// <summary>The Chromium version, e.g. 156.0.8078.114.</summary>
    public string Version => _browser.Version;

    /// <summary>From starting Playwright's driver to a browser that accepts pages.</summary>
    public TimeSpan LaunchTime { get; }

    /// <summary>The executable to launch: <see cref="ExecutableVariable"/>, else the first of the usual paths that exists.</summary>
    public static string? FindExecutable() =>
        Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } configured
            ? configured
            : Candidates.FirstOrDefault(File.Exists);

    public static async Task<Browser> LaunchAsync()
    {
        string? executable = FindExecutable();
        if (executable is null || !File.Exists(executable))
        {
            Assert.Fail($"Chromium was not found (looked at {(executable ?? string.Join(", ", Candidates))}): run tests/prerequisites.sh, "
                + $"which installs Debian's chromium package, or set {ExecutableVariable} to a Chromium executable.");
        }

        var clock = Stopwatch.StartNew();
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                // The tests run as root, where Chromium refuses to start with its sandbox: --no-sandbox.
                // Playwright's default, stated so that a change of default cannot break the tests. (It
                // also passes --disable-dev-shm-usage, so a container's small /dev/shm does no harm.)
                ChromiumSandbox = false,
            });
            return new Browser(playwright, browser, clock.Elapsed);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A page in a fresh context of the given viewport, whose dialogs and errors are recorded.</summary>
    public async Task<BrowserPage> NewPageAsync(int width = 1280, int height = 800)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        return new BrowserPage(page);
    }

    /// <summary>
    /// Saves a full-page PNG as <c>screenshots/NAME.png</c> under the test's work directory and attaches it
    /// to the test result; returns its path (docs copy screenshots from there).
    /// </summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        string directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, $"{name}: screenshot of {page.Url}");
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        // Closing the browser closes its contexts and pages; disposing Playwright ends its node driver.
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}

/// <summary>
/// A page with what it showed the user besides its content: every dialog (alert, confirm, prompt,
/// beforeunload; dismissed at once, so a test never hangs on one) and every console error and uncaught
/// script error. XSS tests assert that <see cref="Dialogs"/> stays empty.
/// </summary>
internal sealed class BrowserPage
{
    private readonly ConcurrentQueue<string> _dialogs = new();
    private readonly ConcurrentQueue<string> _consoleErrors = new();
    private readonly ConcurrentQueue<string> _pageErrors = new();

    public BrowserPage(IPage page)
    {
        Page = page;
        page.Dialog += async (_, dialog) =>
        {
            _dialogs.Enqueue($"{dialog.Type}: {dialog.Message}");
            try
            {
                await dialog.DismissAsync();
            }
            catch (PlaywrightException)
            {
                // The page closed meanwhile; the dialog went with it.
            }
        };
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _consoleErrors.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => _pageErrors.Enqueue(error);
    }

    public IPage Page { get; }

    /// <summary>Each dialog the page opened, as <c>TYPE: MESSAGE</c>.</summary>
    public IReadOnlyList<string> Dialogs => [.. _dialogs];

    /// <summary>Console messages of type error, including the browser's own (CSP refusals, failed loads).</summary>
    public IReadOnlyList<string> ConsoleErrors => [.. _consoleErrors];

    /// <summary>Uncaught exceptions of the page's scripts.</summary>
    public IReadOnlyList<string> PageErrors => [.. _pageErrors];
}
