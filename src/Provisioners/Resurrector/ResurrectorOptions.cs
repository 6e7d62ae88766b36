namespace EventSourced.Provisioners.Resurrector;

/// <summary>Settings of the resurrector, bound from "Provisioners:Local:Resurrector".</summary>
public sealed class ResurrectorOptions
{
    public const string Section = "Provisioners:Local:Resurrector";

    /// <summary>False leaves a dead server down (it is still reported as drift); on by default, as BOSH's resurrector is.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often every server the log says runs is checked.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);
}
