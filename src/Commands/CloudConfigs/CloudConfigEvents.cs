using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.CloudConfigs;

/// <summary>
/// A new version of the operator's cloud config (AZs and their hosts, VM and disk types, networks), kept whole: a
/// deployment names the version it was planned with, and any version can be read back.
/// </summary>
/// <param name="Sha256">Of <paramref name="Yaml"/> (UTF-8, hex): what an unchanged upload is recognised by.</param>
/// <param name="UpdatedBy">Who uploaded it (the ops client's name).</param>
public sealed record CloudConfigUpdated(int Version, string Yaml, string Sha256, string UpdatedBy, DateTimeOffset UpdatedAt) : IDomainEvent;
