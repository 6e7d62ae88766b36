using System.CommandLine;
using EventSourced.Broker.CloudConfigs;

namespace EventSourced.Broker.Cli;

/// <summary>
/// <c>cloud-config show [--version N]</c> prints a version's YAML; <c>cloud-config update &lt;file&gt; [--if-match N]</c>
/// uploads one. Through the ops API, as the job commands. Exit code 0: done; 2: refused (every error of an invalid file
/// printed, file:line:column: path: message); 3: no credentials or the broker unreachable.
/// </summary>
public static class CloudConfigCommands
{
    public static Command Create()
    {
        var version = new Option<int?>("--version") { Description = "An older version (default: the current one)." };
        var show = new Command("show", "Print the cloud config's YAML.") { version, JobCommands.Url, JobCommands.Username, JobCommands.Password };
        show.SetAction((parse, ct) => Run(parse, async client =>
        {
            var found = await client.CloudConfig(parse.GetValue(version), ct);
            await Console.Error.WriteLineAsync($"# version {found.Version}, uploaded by {found.UpdatedBy} at {found.UpdatedAt:u}, sha256 {found.Sha256}");
            Console.Write(found.Yaml);
        }));

        var file = new Argument<FileInfo>("file") { Description = "The cloud config (YAML)." };
        var ifMatch = new Option<int?>("--if-match") { Description = "Refuse unless the current version is this one (the one you edited)." };
        var update = new Command("update", "Upload a new cloud config; it is validated whole first.")
            { file, ifMatch, JobCommands.Url, JobCommands.Username, JobCommands.Password };
        update.SetAction((parse, ct) => Run(parse, async client =>
        {
            var path = parse.GetValue(file)!;
            var accepted = await client.UpdateCloudConfig(await File.ReadAllTextAsync(path.FullName, ct), parse.GetValue(ifMatch), ct);
            Console.WriteLine(accepted.Changed
                ? $"cloud config version {accepted.Version} uploaded from {path.Name}"
                : $"cloud config unchanged: version {accepted.Version} is {path.Name} already");
        }));

        return new Command("cloud-config", "The operator's cloud config: AZs and their hosts, VM and disk types, networks.") { show, update };
    }

    private static async Task<int> Run(ParseResult parse, Func<OpsApiClient, Task> action)
    {
        var (connected, notConnected) = JobCommands.Connect(parse);
        if (connected is null) return await Refused(notConnected!, 3);
        using var client = connected;
        try
        {
            await action(client);
            return 0;
        }
        catch (OpsApiRefusal refusal)
        {
            return await Refused($"{refusal.Description} ({(int)refusal.Status} {refusal.Error})",
                refusal.Status is System.Net.HttpStatusCode.Unauthorized ? 3 : 2);
        }
        catch (HttpRequestException e)
        {
            return await Refused($"The broker at {client.BaseAddress} cannot be reached: {e.Message}", 3);
        }
        catch (IOException e)
        {
            return await Refused(e.Message, 2);
        }

        static async Task<int> Refused(string message, int exitCode)
        {
            await Console.Error.WriteLineAsync(message);
            return exitCode;
        }
    }
}
