using EventSourced.Bench;
using EventSourced.Bench.Infrastructure;

if (args is [ConstantJsonServer.Command, var port, var body]) return await ConstantJsonServer.Run(int.Parse(port), body);
if (args is not ["all", ..] || args.Skip(1).Any(a => a is not ("--quick" or "--profile" or "--only" or "--analysis") && !char.IsDigit(a[0]) && !File.Exists(a)))
{
    Console.Error.WriteLine("usage: bench all [--quick] [--profile] [--only 1,2,...] [--analysis analysis.md]");
    return 2;
}
return await BenchRun.Run(BenchArguments.Parse(args));
