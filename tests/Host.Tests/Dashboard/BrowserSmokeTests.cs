using System.Buffers.Binary;
using System.Net;
using System.Text;
using Microsoft.Playwright;
using RunnerHost.Hosting.Tests.MailFlow;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Dashboard;

/// <summary>
/// The browser harness end to end, on a page served from loopback the way a dashboard would be: the
/// system Chromium starts, waits for a same-origin script's late update, enforces the page's CSP, shows
/// escaped markup as text, records dialogs, and saves a screenshot as a test attachment.
/// </summary>
public sealed class BrowserSmokeTests
{
    private const string Payload = "<script>alert(1)</script>";

    [Test]
    public async Task Chromium_runs_same_origin_scripts_blocks_inline_ones_by_CSP_and_takes_a_screenshot()
    {
        using var server = PageServer.Start();
        await using var browser = await Browser.LaunchAsync();
        TestContext.Out.WriteLine($"Chromium {browser.Version} launched in {browser.LaunchTime.TotalMilliseconds:F0} ms");
        var tab = await browser.NewPageAsync(800, 600);
        var page = tab.Page;

        await page.GotoAsync(server.Url("/"));

        // app.js (allowed: 'self') changes the status 200 ms after load; Expect waits for it.
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("updated by app.js");
        await Assertions.Expect(page.Locator("#subject")).ToHaveTextAsync(Payload);
        string path = await Browser.ScreenshotAsync(page, "browser-smoke");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await page.Locator("#subject script").CountAsync(), Is.Zero, "the escaped payload is text, not an element");
            Assert.That(await page.EvaluateAsync<string?>("() => document.body.dataset.inline ?? null"), Is.Null, "the inline script did not run");
            Assert.That(tab.Dialogs, Is.Empty);
            Assert.That(tab.ConsoleErrors, Has.Some.Contains("Content Security Policy"), "Chromium reports the inline script it refused");
            Assert.That(tab.PageErrors, Is.Empty);
            Assert.That(PngSize(path), Is.EqualTo((800, 600)));
        }

        // The same page without the CSP header: the inline script runs and its alert is recorded, so the
        // assertions above are not vacuous.
        var unprotected = await browser.NewPageAsync(800, 600);
        await unprotected.Page.GotoAsync(server.Url("/no-csp"));
        await Assertions.Expect(unprotected.Page.Locator("body")).ToHaveAttributeAsync("data-inline", "ran");
        Assert.That(unprotected.Dialogs, Is.EqualTo(new[] { "alert: inline" }));
    }

    /// <summary>Width and height from the PNG's IHDR chunk.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        byte[] header = new byte[24];
        using (var file = File.OpenRead(path))
        {
            file.ReadExactly(header);
        }

        Assert.That(header.AsSpan(0, 8).ToArray(), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }));
        return (BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(20)));
    }

    /// <summary>Serves the test page (with and without CSP) and its script on a free loopback port.</summary>
    private sealed class PageServer : IDisposable
    {
        private const string Csp = "default-src 'self'; script-src 'self'";

        private const string Script = """
            setTimeout(() => { document.getElementById("status").textContent = "updated by app.js"; }, 200);
            """;

        private static readonly string Html = $"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <title>Browser smoke</title>
              <script src="/app.js" defer></script>
            </head>
            <body>
              <h1>Browser smoke</h1>
              <p>Subject: <span id="subject">{WebUtility.HtmlEncode(Payload)}</span></p>
              <p>Status: <span id="status">waiting</span></p>
              <script>document.body.dataset.inline = "ran"; alert("inline");</script>
            </body>
            </html>
            """;

        private readonly HttpListener _listener;
        private readonly Task _serving;

        private PageServer(HttpListener listener, int port)
        {
            _listener = listener;
            Port = port;
            _serving = Task.Run(ServeAsync);
        }

        public int Port { get; }

        public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

        public static PageServer Start()
        {
            // A port found free may be taken before the listener binds it; then another is tried.
            for (int attempt = 1; ; attempt++)
            {
                int port = FlowHost.FreePort();
                var listener = new HttpListener();
                listener.Prefixes.Add($"http://127.0.0.1:{port}/");
                try
                {
                    listener.Start();
                    return new PageServer(listener, port);
                }
                catch (HttpListenerException) when (attempt < 5)
                {
                    listener.Close();
                }
            }
        }

        public void Dispose()
        {
            _listener.Close();
            try
            {
                _serving.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // The loop ends with the listener's exception; nothing to report.
            }
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                try
                {
                    await RespondAsync(context);
                }
                catch (Exception ex) when (ex is HttpListenerException or IOException)
                {
                    // The browser went away mid-response; the next request is served all the same.
                }
            }
        }

        private static async Task RespondAsync(HttpListenerContext context)
        {
            using var response = context.Response;
            (int status, string? type, string body, bool csp) = context.Request.Url?.AbsolutePath switch
            {
                "/" => (200, "text/html; charset=utf-8", Html, true),
                "/no-csp" => (200, "text/html; charset=utf-8", Html, false),
                "/app.js" => (200, "text/javascript; charset=utf-8", Script, true),
                "/favicon.ico" => (204, null, string.Empty, false),
                _ => (404, "text/plain; charset=utf-8", "not found", false),
            };
            response.StatusCode = status;
            if (csp)
            {
                response.Headers["Content-Security-Policy"] = Csp;
            }

            if (type is not null)
            {
                response.ContentType = type;
            }

            byte[] bytes = Encoding.UTF8.GetBytes(body);
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes);
        }
    }
}
