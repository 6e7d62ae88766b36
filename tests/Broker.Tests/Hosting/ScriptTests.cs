using System.Diagnostics;

namespace EventSourced.Broker.Tests.Hosting;

/// <summary>
/// infra/env.sh, which ./run and ./test source: settings the user put in the environment win over .env and over the
/// local defaults, as with dotenv tools and docker compose.
/// </summary>
public sealed class ScriptTests : IDisposable
{
    private readonly string _dotenv = Path.Combine(Path.GetTempPath(), $"dotenv-{Guid.NewGuid():N}");

    public ScriptTests() => File.WriteAllText(_dotenv, "# generated\nBroker__Username=broker\nBroker__Password=generated\nSecrets__Key=a2V5==\n");

    public void Dispose() => File.Delete(_dotenv);

    [Fact]
    public async Task LoadDotenv_VariableAlreadyInTheEnvironment_KeepsTheUsersValue()
    {
        var output = await Bash($"load_dotenv '{_dotenv}'; echo \"$Broker__Password|$Broker__Username|$Secrets__Key\"",
            ("Broker__Password", "mine"));

        Assert.Equal("mine|broker|a2V5==", output);
    }

    [Fact]
    public async Task LoadDotenv_VariableNotInTheEnvironment_TakesTheFilesValue()
    {
        var output = await Bash($"load_dotenv '{_dotenv}'; echo \"$Broker__Password\"");

        Assert.Equal("generated", output);
    }

    [Fact]
    public async Task ExportSettings_ConnectionStringInTheEnvironment_IsKept()
    {
        var output = await Bash("export_settings; echo \"$ConnectionStrings__Postgres|$RabbitMq__Username\"",
            ("ConnectionStrings__Postgres", "Host=db.example;Database=x"));

        Assert.Equal("Host=db.example;Database=x|broker", output);
    }

    [Fact]
    public async Task EnvScript_CheckoutAtAHundredCharacterPath_KeepsTheLocalPostgresSocketWithinItsLimit()
    {
        var checkout = Path.Combine(Path.GetTempPath(), $"c{Guid.NewGuid():N}", new string('p', 100 - Path.GetTempPath().Length - 34));
        Directory.CreateDirectory(Path.Combine(checkout, "infra"));
        try
        {
            Assert.Equal(100, checkout.Length);
            File.Copy(EnvScript(), Path.Combine(checkout, "infra", "env.sh"));

            var socket = await Bash("echo \"$PG_DATA/.s.PGSQL.$PG_PORT\"", script: Path.Combine(checkout, "infra", "env.sh"));

            Assert.True(socket.Length <= 107, $"{socket} is {socket.Length} bytes: PostgreSQL cannot create its socket");
            Assert.DoesNotContain(checkout, socket);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(checkout)!, recursive: true);
        }
    }

    private static Task<string> Bash(string command, params (string Name, string Value)[] environment) =>
        Bash(command, EnvScript(), environment);

    private static async Task<string> Bash(string command, string script, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("bash", ["-c", $"source '{script}' && {command}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var name in new[] { "Broker__Password", "Broker__Username", "Secrets__Key", "ConnectionStrings__Postgres", "RabbitMq__Username" })
            start.Environment.Remove(name);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"bash exited with {process.ExitCode}: {error}");
        return output.Trim();
    }

    private static string EnvScript()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var script = Path.Combine(directory.FullName, "infra", "env.sh");
            if (File.Exists(script)) return script;
        }
        throw new FileNotFoundException("infra/env.sh not found above the test's directory");
    }
}
