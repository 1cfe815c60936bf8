using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Inspection;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Cli;

/// <summary><c>runner-host queues [--json]</c>: every configured queue with its depth per slice and a qshape-style age histogram, and whether the master runs.</summary>
public static class QueuesCommand
{
    // The JSON names this many strays per queue (stray_count has them all): a flooded directory stays printable.
    private const int MaxStraysListed = 100;

    public static Command Create(Option<string?> configOption)
    {
        var jsonOption = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("queues", "Show every queue's depth per slice and the ages of its entries (like Postfix qshape).") { jsonOption };
        command.Subcommands.Add(QueuesMigrateCommand.Create(configOption));
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(async () =>
        {
            using var environment = CommandEnvironment.Open(result.GetValue(configOption), VarAccess.ReadOnly);
            var now = environment.Services.Clock.GetUtcNow();
            var shapes = await MeasureAsync(environment.Services.Inspector, cancellationToken).ConfigureAwait(false);
            // Whether anything drains these queues: entries wait while no master runs.
            int? masterPid = await new MasterClient(MasterPaths.From(environment.Configuration.Paths)).FindAsync(cancellationToken).ConfigureAwait(false);
            await Console.Out.WriteAsync(result.GetValue(jsonOption) ? ToJson(shapes, now, masterPid) : ToText(shapes, masterPid)).ConfigureAwait(false);
            // Figures that could not be read (a queue back end that does not answer) must not look like empty queues to a script.
            return shapes.Any(s => s.Problem is not null) ? ExitCodes.Failure : ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Every queue's summary, through the inspection surface.</summary>
    public static async Task<IReadOnlyList<QueueSummary>> MeasureAsync(IQueueInspector inspector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inspector);
        var summaries = new List<QueueSummary>();
        foreach (string name in inspector.QueueNames)
        {
            summaries.Add(await inspector.SummarizeAsync(name, cancellationToken).ConfigureAwait(false));
        }

        return summaries;
    }

    /// <summary>The table, then one line saying whether the master runs.</summary>
    public static string ToText(IReadOnlyList<QueueSummary> shapes, int? masterPid = null)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        string[] header = ["queue", "total", "later", .. QueueSummary.AgeBuckets, "taken", "slices"];
        var rows = new List<string[]> { header };
        // A queue that could not be measured shows no figures, not zeros (its ERROR line says why).
        rows.AddRange(shapes.Select(s => s.Problem is not null ? (string[])[s.Name, .. Enumerable.Repeat("-", header.Length - 1)] : (string[])[
            s.Name,
            Number(s.Depth),
            Number(s.NotYetDue),
            .. s.Ages.Select(Number),
            Number(s.InProgress),
            string.Join(' ', s.Slices.Select(slice => Number(slice.Entries))),
        ]));
        int[] widths = [.. Enumerable.Range(0, header.Length).Select(i => rows.Max(r => r[i].Length))];
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            // Names left-aligned, counts right-aligned, as qshape does; the slice list ends the line.
            var cells = row.Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : i == row.Length - 1 ? cell : cell.PadLeft(widths[i]));
            text.Append(string.Join("  ", cells).TrimEnd()).Append('\n');
        }

        foreach (var shape in shapes)
        {
            if (shape.NextDue is { } next)
            {
                text.Append(CultureInfo.InvariantCulture, $"later: {shape.Name} has {Entries(shape.NotYetDue)} kept for later; the next is due {next:yyyy-MM-dd'T'HH:mm:ss'Z'}\n");
            }
        }

        // One line per problem: a back end that cannot be reached is one problem, not one per queue.
        foreach (var group in shapes.Where(s => s.Problem is not null).GroupBy(s => s.Problem!, StringComparer.Ordinal))
        {
            text.Append("ERROR: ").Append(string.Join(", ", group.Select(s => s.Name))).Append(": ").Append(group.Key).Append('\n');
        }

        foreach (var shape in shapes)
        {
            if (shape.StrayCount > 0)
            {
                // Nothing will ever process these: name them (a few) so the operator can act.
                var shown = shape.Strays.Take(3).Select(n => $"{n.Name} ({n.Problem})");
                string more = shape.StrayCount > 3 ? string.Create(CultureInfo.InvariantCulture, $", and {shape.StrayCount - 3} more") : string.Empty;
                text.Append(CultureInfo.InvariantCulture, $"STRAY: {shape.Name} holds {shape.StrayCount} {(shape.StrayCount == 1 ? "file" : "files")} that no runner processes: {string.Join("; ", shown)}{more}\n");
            }
        }

        text.Append(masterPid is { } pid
            ? string.Create(CultureInfo.InvariantCulture, $"master: running (pid {pid})\n")
            : "master: not running (nothing drains these queues; 'runner-host start')\n");
        return text.ToString();
    }

    public static string ToJson(IReadOnlyList<QueueSummary> shapes, DateTimeOffset now, int? masterPid = null)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("time", now.ToString("O", CultureInfo.InvariantCulture));
            json.WriteStartObject("master");
            json.WriteBoolean("running", masterPid is not null);
            if (masterPid is { } pid)
            {
                json.WriteNumber("pid", pid);
            }

            json.WriteEndObject();
            json.WriteStartArray("queues");
            foreach (var shape in shapes)
            {
                json.WriteStartObject();
                json.WriteString("name", shape.Name);
                json.WriteNumber("slices", shape.Slices.Count);
                json.WriteNumber("depth", shape.Depth);
                json.WriteStartArray("per_slice");
                foreach (var slice in shape.Slices)
                {
                    json.WriteNumberValue(slice.Entries);
                }

                json.WriteEndArray();
                json.WriteNumber("not_yet_due", shape.NotYetDue);
                json.WriteNumber("taken", shape.InProgress);
                json.WriteStartObject("ages");
                for (int i = 0; i < shape.Ages.Count; i++)
                {
                    json.WriteNumber(QueueSummary.AgeBuckets[i], shape.Ages[i]);
                }

                json.WriteEndObject();
                if (shape.NextDue is { } next)
                {
                    json.WriteString("next_due", next.ToString("O", CultureInfo.InvariantCulture));
                }
                else
                {
                    json.WriteNull("next_due");
                }

                json.WriteNumber("stray_count", shape.StrayCount);
                json.WriteStartArray("strays");
                foreach (var stray in shape.Strays.Take(MaxStraysListed))
                {
                    json.WriteStartObject();
                    json.WriteString("name", stray.Name);
                    json.WriteString("problem", stray.Problem);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                if (shape.Problem is { } problem)
                {
                    json.WriteString("listing_problem", problem);
                }

                if (shape.OldestAge is { } oldest)
                {
                    json.WriteNumber("oldest_age_seconds", Math.Round(oldest.TotalSeconds, 3));
                }
                else
                {
                    json.WriteNull("oldest_age_seconds");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string Entries(int count) => count == 1 ? "1 entry" : string.Create(CultureInfo.InvariantCulture, $"{count} entries");

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
