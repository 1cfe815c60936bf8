using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace RunnerHost.Plugins.Rest.Dashboard;

/// <summary>What the dashboard adds to the REST server: Razor rendering, the session cookie, anti-forgery and the security headers.</summary>
internal static class DashboardServices
{
    // No inline script or style, nothing from another origin, no framing, forms post here only.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static void Add(IServiceCollection services)
    {
        services.AddRazorComponents();
        // Keys live in memory: a restart of the REST runner ends sessions (log in again) and leaves no
        // key files behind in the operator's home directory.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "runnerhost.antiforgery";
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.HttpOnly = true;
        });
        services.AddAuthentication(DashboardAccess.Scheme).AddCookie(DashboardAccess.Scheme, options =>
        {
            options.Cookie.Name = "runnerhost.session";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.ExpireTimeSpan = TimeSpan.FromHours(8);
            options.SlidingExpiration = true;
            options.LoginPath = "/dashboard/login";
            // The API answers 401 itself; a redirect is only for pages, which decide that themselves.
            options.Events.OnRedirectToLogin = context =>
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Task.CompletedTask;
            };
        });
    }

    public static void Use(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            if (context.Request.Path.StartsWithSegments("/dashboard/assets", StringComparison.Ordinal) is false)
            {
                headers.CacheControl = "no-store";
            }

            await next(context).ConfigureAwait(false);
        });
        app.UseAuthentication();
    }
}
