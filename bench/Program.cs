using EventSourced.Bench;
using EventSourced.Bench.Infrastructure;

if (args is [ConstantJsonServer.Command, var port, var body]) return await ConstantJsonServer.Run(int.Parse(port), body);
if (args is ["deployments", .. var rest]) return EventSourced.Bench.Scenarios.DeploymentStrategies.Run(rest);
if (args is ["compare", var run, var before])
{
    Console.Write(EventSourced.Bench.Reporting.Baseline.Load(File.Exists(before) ? before : Path.Combine(Settings.RepositoryRoot(), "bench", "results", $"{before}.json"))
        .Section(run));
    return 0;
}
string[] valued = ["--only", "--analysis", "--name", "--baseline"];
if (args is not ["all", ..] || args.Skip(1).Where((a, i) => !valued.Contains(args[i])).Any(a => a is not ("--quick" or "--profile" or "--no-infra") && !valued.Contains(a)))
{
    Console.Error.WriteLine("usage: bench deployments [--name suffix]   (update strategies in virtual time; starts no server)\n       bench all [--quick] [--profile] [--no-infra] [--only 1,2,...] [--name suffix] [--baseline 2026-12-01] [--analysis analysis.md]\n       bench compare results/<run>.json <baseline name or json>   (prints the Before/after section)");
    return 2;
}
return await BenchRun.Run(BenchArguments.Parse(args));
