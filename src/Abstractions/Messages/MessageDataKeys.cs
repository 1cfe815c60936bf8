namespace RunnerHost.Messages;

/// <summary>Names of the metadata keys the runner core reads or writes.</summary>
public static class MessageDataKeys
{
    /// <summary>Queue file schema version, written on every enqueue.</summary>
    public const string Version = "version";

    /// <summary>Kept for Mailman compatibility: true only when the message was stored as plain text.</summary>
    public const string ParseMessage = "_parsemsg";

    /// <summary>The list id.</summary>
    public const string ListId = "listid";

    /// <summary>The legacy list posting address.</summary>
    public const string ListName = "listname";

    /// <summary>The language code chosen before dispose.</summary>
    public const string Language = "lang";

    /// <summary>The queue a crashed message came from.</summary>
    public const string WhichQueue = "whichq";

    /// <summary>How many times the entry was restored from <c>.bak</c> after an interrupted attempt.</summary>
    public const string BackupCount = "_bak_count";

    /// <summary>The error record of a shunted entry (a nested dictionary, see <see cref="ErrorRecordKeys"/>).</summary>
    public const string Error = "error";

    /// <summary>Time of receipt; hidden by the metadata dump.</summary>
    public const string ReceivedTime = "received_time";

    /// <summary>Earliest processing time after keep-queued (seconds since the Unix epoch).</summary>
    public const string NotBefore = "not_before";

    /// <summary>How many times in a row the dispose hook asked to keep the entry queued.</summary>
    public const string RequeueCount = "requeue_count";

    /// <summary>The size of the message as received.</summary>
    public const string OriginalSize = "original_size";

    /// <summary>Set by an operator's requeue (<c>bad requeue</c>, the inspection surface): where the entry came from: <c>QUEUE/ID</c>, or the preserved entry's name in <c>bad</c> (<c>bad/NAME.psv</c>).</summary>
    public const string RequeuedFrom = "requeued_from";
}

/// <summary>Keys of the nested error record stored under <see cref="MessageDataKeys.Error"/>.</summary>
public static class ErrorRecordKeys
{
    /// <summary>Full name of the exception type.</summary>
    public const string Type = "type";

    /// <summary>The exception message.</summary>
    public const string Message = "message";

    /// <summary>The exception's string form, with stack trace and inner exceptions.</summary>
    public const string Stack = "stack";

    /// <summary>The runner name.</summary>
    public const string Runner = "runner";

    /// <summary>The runner slice, as <c>slice/count</c>.</summary>
    public const string Slice = "slice";

    /// <summary>UTC time of the failure, ISO 8601.</summary>
    public const string Time = "time";

    /// <summary>Which processing attempt failed (1 = first).</summary>
    public const string Attempt = "attempt";

    /// <summary>The queue the entry was in.</summary>
    public const string Queue = "queue";

    /// <summary>The filebase of the failed entry.</summary>
    public const string Filebase = "filebase";
}
