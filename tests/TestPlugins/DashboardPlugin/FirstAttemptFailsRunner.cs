using MimeKit;
using RunnerHost;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace DashboardPlugin;

/// <summary>
/// Fails a message the first time, with its subject in the exception message, and handles it once it
/// comes back from shunt (its metadata then says where it was replayed from): a shunted message the
/// dashboard's unshunt makes processed.
/// </summary>
public sealed class FirstAttemptFailsRunner(RunnerContext context) : Runner(context)
{
    protected override Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        if (!metadata.ContainsKey("replayed_from"))
        {
            throw new InvalidOperationException($"cannot handle '{message.Subject}' yet");
        }

        return Task.FromResult(false);
    }
}
