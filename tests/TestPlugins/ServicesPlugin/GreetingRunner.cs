using MimeKit;
using RunnerHost;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace ServicesPlugin;

/// <summary>Appends "greeting|instance" for each message to the file named by <c>output</c>.</summary>
public sealed class GreetingRunner(RunnerContext context, IGreeter greeter) : Runner(context)
{
    protected override async Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        string output = Settings.GetString("output") ?? throw new InvalidOperationException("[runner." + Name + "] needs 'output'");
        await File.AppendAllTextAsync(output, $"{greeter.Greet(message.Subject)}|{greeter.Instance:N}\n", cancellationToken).ConfigureAwait(false);
        return false;
    }
}

/// <summary>Never registered: a runner that takes it cannot be created.</summary>
public interface IUnregistered;

/// <summary>Takes a service no registration provides.</summary>
public sealed class UnservedRunner(RunnerContext context, IUnregistered missing) : Runner(context)
{
    public IUnregistered Missing { get; } = missing;

    protected override Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken) =>
        Task.FromResult(false);
}
