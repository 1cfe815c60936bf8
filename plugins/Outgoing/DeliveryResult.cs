namespace RunnerHost.Plugins.Outgoing;

/// <summary>One recipient the SMTP server did not take, with its reply.</summary>
internal sealed record RecipientFailure(string Address, int Code, string Reply)
{
    public bool IsTemporary => Code is >= 400 and < 500;
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
