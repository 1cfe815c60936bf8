using System.CommandLine;
using System.Globalization;
using MimeKit;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Cli;

/// <summary><c>runner-host inject [-q QUEUE] [-f FILE] [-m KEY=VALUE]... LISTSPEC</c>: durably enqueues one message.</summary>
public static class InjectCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var queueOption = new Option<string>("--queue", "-q") { Description = "The queue to inject into.", DefaultValueFactory = _ => "in" };
        var fileOption = new Option<FileInfo?>("--filename", "-f") { Description = "Read the message from this file instead of standard input." };
        var metadataOption = new Option<string[]>("--metadata", "-m")
        {
            Description = "Extra metadata KEY=VALUE (repeatable; values are strings).",
            AllowMultipleArgumentsPerToken = false,
        };
        var showOption = new Option<bool>("--show", "-s") { Description = "List the available queues and exit." };
        var listArgument = new Argument<string?>("LISTSPEC")
        {
            Description = "The list's id (test.example.com) or posting address (test@example.com).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("inject", "Inject a message into a queue, for a list.")
        {
            queueOption, fileOption, metadataOption, showOption, listArgument,
        };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(async () =>
        {
            using var environment = CommandEnvironment.Open(result.GetValue(configOption), VarAccess.ReadWrite);
            if (result.GetValue(showOption))
            {
                Console.Out.Write("Available queues:\n" + string.Concat(environment.Services.Queues.Names.Select(n => $"    {n}\n")));
                return ExitCodes.Success;
            }

            string listSpec = result.GetValue(listArgument) ?? throw new UsageException("no LISTSPEC given (a list id or posting address)");
            var list = environment.Services.Lists.Find(listSpec) ?? throw new UsageException($"No such list: {listSpec}");
            string queueName = result.GetRequiredValue(queueOption);
            if (!environment.Services.Queues.TryGet(queueName, out var queue))
            {
                throw new UsageException($"No such queue: {queueName}");
            }

            if (queueName == QueueNames.Bad)
            {
                throw new UsageException($"queue '{QueueNames.Bad}' holds preserved entries and takes no new ones; inject into another queue ('runner-host bad requeue' moves entries out of bad)");
            }

            var metadata = new MessageData { [MessageDataKeys.ListId] = list.ListId };
            foreach (var pair in result.GetValue(metadataOption) ?? [])
            {
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new UsageException($"bad --metadata '{pair}': expected KEY=VALUE");
                }

                metadata[pair[..equals]] = pair[(equals + 1)..];
            }

            byte[] raw = await ReadInputAsync(result.GetValue(fileOption), cancellationToken).ConfigureAwait(false);
            var message = Parse(raw);
            Prepare(message);
            metadata[MessageDataKeys.OriginalSize] = (long)raw.Length;
            await queue.EnqueueAsync(message, metadata, cancellationToken: cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>As Mailman's inject: add Message-ID and Date when missing, always (re)set the Message-ID hashes.</summary>
    public static void Prepare(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (string.IsNullOrEmpty(message.MessageId))
        {
            message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId();
        }

        if (!message.Headers.Contains(HeaderId.Date))
        {
            message.Date = DateTimeOffset.Now;
        }

        string hash = MessageIdHash.Compute(message.MessageId);
        message.Headers.RemoveAll("Message-ID-Hash");
        message.Headers.RemoveAll("X-Message-ID-Hash");
        message.Headers.Add("Message-ID-Hash", hash);
        message.Headers.Add("X-Message-ID-Hash", hash);
    }

    private static MimeMessage Parse(byte[] raw)
    {
        if (raw.Length == 0)
        {
            throw new UsageException("the message is empty");
        }

        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            return MimeMessage.Load(stream);
        }
        catch (FormatException ex)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"the input is not an RFC 822 message: {ex.Message}"), ex);
        }
    }

    private static async Task<byte[]> ReadInputAsync(FileInfo? file, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            if (!file.Exists)
            {
                throw new UsageException($"no such file: {file.FullName}");
            }

            return await File.ReadAllBytesAsync(file.FullName, cancellationToken).ConfigureAwait(false);
        }

        using var buffer = new MemoryStream();
        await using var stdin = Console.OpenStandardInput();
        await stdin.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }
}
