namespace RunnerHost.Plugins.Rest.Dashboard;

/// <summary>What a page needs of the request: whether the operator is logged in, the anti-forgery token for its forms, and a one-line notice.</summary>
/// <param name="SignedIn">Logged in with the api_token (a session cookie).</param>
/// <param name="FormField">The anti-forgery form field's name.</param>
/// <param name="RequestToken">The anti-forgery token every form carries.</param>
/// <param name="ReturnUrl">This page's path and query, to come back to after logging in.</param>
/// <param name="Notice">What the last action did (from the redirect after it), or null.</param>
public sealed record DashboardSession(bool SignedIn, string FormField, string RequestToken, string ReturnUrl, string? Notice);
