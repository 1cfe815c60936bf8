namespace RunnerHost.Plugins.Outgoing;

/// <summary>One recipient the SMTP server did not take, with its reply.</summary>
internal sealed record RecipientFailure(string Address, int Code, string Reply)
{
    /// <summary>Only a 5xx is a permanent refusal; a 4xx, or a reply that is no answer at all (a 221 as the server closes), is retried.</summary>
    public bool IsTemporary => Code is < 500 or >= 600;
}

/// <summary>What one delivery attempt achieved, per recipient.</summary>
internal sealed record DeliveryResult(IReadOnlyList<string> Delivered, IReadOnlyList<RecipientFailure> Failures)
{
    public IEnumerable<RecipientFailure> Temporary => Failures.Where(f => f.IsTemporary);

    public IEnumerable<RecipientFailure> Permanent => Failures.Where(f => !f.IsTemporary);

    /// <summary>Every recipient failed the same way (the connection, the sender or the message was refused).</summary>
    public static DeliveryResult AllFailed(IEnumerable<string> recipients, int code, string reply) =>
        new([], [.. recipients.Select(r => new RecipientFailure(r, code, reply))]);
}
