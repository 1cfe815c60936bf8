using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace EchoPlugin;

/// <summary>Appends each message's Subject to the file named by the <c>output</c> setting.</summary>
public sealed class EchoRunner : Runner
{
    private readonly ISubjectFormatter _formatter;
    private readonly ILogger<EchoRunner> _logger;

    public EchoRunner(RunnerContext context, ISubjectFormatter formatter, ILogger<EchoRunner> logger)
        : base(context)
    {
        _formatter = formatter;
        _logger = logger;
    }

    public string FormatterName => _formatter.GetType().FullName!;

    protected override async Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        string output = Settings.GetString("output") ?? throw new InvalidOperationException("[runner." + Name + "] needs 'output'");
        _logger.LogInformation("echo {Subject} to {Output}", message.Subject, output);
        await File.AppendAllTextAsync(output, _formatter.Format(message.Subject) + "\n", cancellationToken).ConfigureAwait(false);
        return false;
    }
}
