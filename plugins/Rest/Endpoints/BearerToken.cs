using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary>
/// Guards mutating endpoints: <c>Authorization: Bearer &lt;api_token&gt;</c>. Without a configured
/// token they are refused (403) rather than open; a missing or wrong token is 401.
/// </summary>
internal static class BearerToken
{
    public static RouteHandlerBuilder RequireToken(this RouteHandlerBuilder endpoint) =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            var options = context.HttpContext.RequestServices.GetService(typeof(RestOptions)) as RestOptions;
            if (options?.ApiToken is not { } expected)
            {
                return TypedResults.Problem(
                    title: "Mutating calls are disabled",
                    detail: "No api_token is configured in this runner's section, so the REST API is read-only. Set api_token (at least 16 characters) and send 'Authorization: Bearer <token>'.",
                    statusCode: StatusCodes.Status403Forbidden);
            }

            string header = context.HttpContext.Request.Headers.Authorization.ToString();
            const string scheme = "Bearer ";
            bool valid = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
                && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), Encoding.UTF8.GetBytes(expected));
            if (!valid)
            {
                context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
                return TypedResults.Problem(
                    title: "Unauthorized",
                    detail: header.Length == 0 ? "This call needs 'Authorization: Bearer <api_token>'." : "The bearer token is wrong.",
                    statusCode: StatusCodes.Status401Unauthorized);
            }

            return await next(context).ConfigureAwait(false);
        });
}
