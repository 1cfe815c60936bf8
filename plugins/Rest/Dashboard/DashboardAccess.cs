using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RunnerHost.Plugins.Rest.Endpoints;

namespace RunnerHost.Plugins.Rest.Dashboard;

/// <summary>
/// Who may see and do what on the dashboard: the REST rules (docs/rest-api.md), with a login in place of
/// the bearer token. Summaries are open to loopback peers; message content and every action need a
/// session, which logging in with the api_token opens (an HttpOnly, SameSite=Strict cookie); every form
/// carries an anti-forgery token.
/// </summary>
internal static class DashboardAccess
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;

    public static bool SignedIn(HttpContext http) => http.User.Identity?.IsAuthenticated == true;

    public static bool May(HttpContext http, Exposure exposure)
    {
        var options = http.RequestServices.GetRequiredService<RestOptions>();
        return SignedIn(http) || (exposure == Exposure.Summary && (options.AllowUnauthenticatedRemote || Loopback.Is(http.Connection.RemoteIpAddress)));
    }

    /// <summary>Constant-time comparison with the configured token; false when none is configured.</summary>
    public static bool IsToken(RestOptions options, string? candidate) =>
        options.ApiToken is { } expected && candidate is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate.Trim()), Encoding.UTF8.GetBytes(expected));

    public static Task SignInAsync(HttpContext http) =>
        http.SignInAsync(Scheme, new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator")], Scheme)));

    public static Task SignOutAsync(HttpContext http) => http.SignOutAsync(Scheme);

    /// <summary>A redirect target from a form or query: a path on this site only, never another host.</summary>
    public static string LocalPath(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) && !url.Contains('\n') && !url.Contains('\r')
            ? url
            : "/";

    public static DashboardSession Session(HttpContext http)
    {
        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        string? notice = http.Request.Query["notice"].ToString() is { Length: > 0 } text ? (text.Length > 300 ? text[..300] : text) : null;
        return new DashboardSession(SignedIn(http), tokens.FormFieldName, tokens.RequestToken ?? string.Empty, http.Request.Path + http.Request.QueryString, notice);
    }

    /// <summary>Null when the form is from a signed-in operator on this dashboard; otherwise the refusal.</summary>
    public static async Task<IResult?> CheckActionAsync(HttpContext http)
    {
        if (!SignedIn(http))
        {
            return Results.Problem(title: "Log in first", detail: "Actions on entries need a session: log in with the api_token.", statusCode: StatusCodes.Status401Unauthorized);
        }

        return await CheckFormAsync(http).ConfigureAwait(false);
    }

    /// <summary>Null when the form carries this dashboard's anti-forgery token (the login form needs no session); otherwise the refusal.</summary>
    public static async Task<IResult?> CheckFormAsync(HttpContext http) =>
        await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http).ConfigureAwait(false)
            ? null
            : Results.Problem(title: "Form refused", detail: "The form carries no valid anti-forgery token: reload the page and try again.", statusCode: StatusCodes.Status400BadRequest);
}
