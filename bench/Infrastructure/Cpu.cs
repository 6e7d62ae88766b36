using System.Diagnostics;

namespace EventSourced.Bench.Infrastructure;

/// <summary>CPU used over a window: the whole machine (/proc/stat), this process, and optionally the broker process.</summary>
public readonly record struct CpuSnapshot(long MachineBusy, long MachineTotal, TimeSpan Self, TimeSpan Broker, long At)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static CpuSnapshot Take(int? brokerPid = null)
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var idle = fields[3] + fields[4];
        var total = fields.Take(8).Sum();
        return new CpuSnapshot(total - idle, total, Process.GetCurrentProcess().TotalProcessorTime, ProcessCpu(brokerPid), Stopwatch.GetTimestamp());
    }

    public CpuUse Since(CpuSnapshot start) => new(
        MachineBusyPercent: 100.0 * (MachineBusy - start.MachineBusy) / Math.Max(1, MachineTotal - start.MachineTotal),
        SelfCores: (Self - start.Self).TotalSeconds / Stopwatch.GetElapsedTime(start.At, At).TotalSeconds,
        BrokerCores: (Broker - start.Broker).TotalSeconds / Stopwatch.GetElapsedTime(start.At, At).TotalSeconds,
        SelfCpu: Self - start.Self,
        BrokerCpu: Broker - start.Broker);

    private static TimeSpan ProcessCpu(int? pid)
    {
        if (pid is null || !File.Exists($"/proc/{pid}/stat")) return TimeSpan.Zero;
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return TimeSpan.FromSeconds((long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond);
    }
}

/// <param name="MachineBusyPercent">Of all cores together (100 = every core busy).</param>
/// <param name="SelfCores">Cores' worth of CPU this process (the load generator) used.</param>
public readonly record struct CpuUse(double MachineBusyPercent, double SelfCores, double BrokerCores, TimeSpan SelfCpu, TimeSpan BrokerCpu);
