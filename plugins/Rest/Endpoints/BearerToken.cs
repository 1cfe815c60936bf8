using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary>
/// Guards endpoints by what they expose (<see cref="Exposure"/>) with <c>Authorization: Bearer &lt;api_token&gt;</c>.
/// Without a configured token, guarded calls are refused (403) rather than open; a missing or wrong token is 401.
/// </summary>
internal static class BearerToken
{
    private const string Scheme = "Bearer ";

    /// <summary>Mutating calls: the token, always.</summary>
    public static RouteHandlerBuilder RequireToken(this RouteHandlerBuilder endpoint) => endpoint.Require(Exposure.Change);

    public static RouteHandlerBuilder Require(this RouteHandlerBuilder endpoint, Exposure exposure) =>
        endpoint.AddEndpointFilter(async (context, next) => Check(context.HttpContext, exposure) ?? await next(context).ConfigureAwait(false));

    /// <summary>Null when the caller may proceed; otherwise the 401/403 problem to answer with.</summary>
    public static IResult? Check(HttpContext http, Exposure exposure)
    {
        ArgumentNullException.ThrowIfNull(http);
        var options = http.RequestServices.GetRequiredService<RestOptions>();
        if (exposure == Exposure.Summary && (options.AllowUnauthenticatedRemote || Loopback.Is(http.Connection.RemoteIpAddress)))
        {
            return null;
        }

        if (options.ApiToken is not { } expected)
        {
            return Disabled(exposure, options.Section);
        }

        string header = http.Request.Headers.Authorization.ToString();
        bool valid = header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()), Encoding.UTF8.GetBytes(expected));
        if (valid)
        {
            return null;
        }

        http.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(
            title: "Unauthorized",
            detail: header.Length == 0 ? "This call needs 'Authorization: Bearer <api_token>'." : "The bearer token is wrong.",
            statusCode: StatusCodes.Status401Unauthorized);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Disabled(Exposure exposure, string section)
    {
        const string enable = "Set api_token (at least 16 characters, e.g. the output of 'openssl rand -hex 32') and send 'Authorization: Bearer <api_token>'.";
        var (title, what) = exposure switch
        {
            Exposure.Change => ("Mutating calls are disabled", "the REST API changes no queue (inject, delete and unshunt are refused)"),
            Exposure.Content => ("Reading entries is disabled", "message content and metadata are not served"),
            _ => ("Remote access is disabled", "only loopback peers may read summaries (or set allow_unauthenticated_remote: yes)"),
        };
        return TypedResults.Problem(
            title: title,
            detail: $"api_token is not set in {section}, so {what}. {enable}",
            statusCode: StatusCodes.Status403Forbidden);
    }
}
