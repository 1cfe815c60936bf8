using RunnerHost.Messages;

namespace RunnerHost.Plugins.Outgoing;

/// <summary>The metadata keys of the delivery state an out/retry entry carries.</summary>
internal static class DeliveryMetadata
{
    /// <summary>The addresses still owed this message (a list of strings).</summary>
    public const string RecipientList = "recipients";

    /// <summary>How many delivery attempts were made, this one included.</summary>
    public const string Attempts = "deliver_attempts";

    /// <summary>When the first delivery attempt was made (ISO 8601); the retry period counts from it.</summary>
    public const string FirstAttempt = "first_attempt";

    /// <summary>Permanent refusals: a list of {address, code, reply}.</summary>
    public const string FailedRecipients = "failed_recipients";

    /// <summary>The last temporary failure, for people reading the retry queue.</summary>
    public const string LastError = "last_error";

    public static IReadOnlyList<string> Recipients(MessageData metadata) =>
        metadata.TryGetValue(RecipientList, out var value) switch
        {
            true when value is IEnumerable<object?> list => [.. list.OfType<string>().Where(a => a.Length > 0)],
            true when value is string single && single.Length > 0 => [single],
            _ => [],
        };

    public static void AddFailure(MessageData metadata, RecipientFailure failure)
    {
        var failures = metadata.TryGetValue(FailedRecipients, out var existing) && existing is IEnumerable<object?> list
            ? list.ToList()
            : [];
        failures.Add(new MessageData { ["address"] = failure.Address, ["code"] = failure.Code, ["reply"] = failure.Reply });
        metadata[FailedRecipients] = failures;
    }
}
