namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary>What an endpoint reveals or does, which decides who may call it (docs/rest-api.md, "Who may call what").</summary>
internal enum Exposure
{
    /// <summary>Counts, entry names and due times, runners, metrics: open to loopback peers; other peers need the token unless <c>allow_unauthenticated_remote</c>.</summary>
    Summary,

    /// <summary>Message content or metadata: the token, from every peer.</summary>
    Content,

    /// <summary>Inject, delete, unshunt: the token, from every peer.</summary>
    Change,
}
