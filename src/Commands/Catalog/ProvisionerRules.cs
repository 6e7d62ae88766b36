using System.Text.RegularExpressions;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Catalog;

/// <summary>What a provisioner stanza must hold, each problem named by its setting (the implementation names are checked by the worker, which knows them).</summary>
internal static partial class ProvisionerRules
{
    public static IEnumerable<string> Check(IReadOnlyList<KeyValuePair<string, ProvisionerDefinition>> enabled, bool catalogHasServices)
    {
        if (enabled.Count == 0) yield break;
        var defaults = enabled.Where(d => d.Value.Default).Select(d => d.Key).ToList();
        if (catalogHasServices && defaults.Count != 1)
            yield return $"{ProvisionerDefinitionsOptions.DefinitionsSetting}: exactly one enabled stanza must have Default=true (it serves the services of "
                         + $"Catalog:Services); found {(defaults.Count == 0 ? "none" : string.Join(", ", defaults))}.";
        foreach (var (name, definition) in enabled)
        {
            var where = $"{ProvisionerDefinitionsOptions.DefinitionsSetting}:{name}";
            if (string.IsNullOrWhiteSpace(definition.Provides.Instance))
                yield return $"{where}:Provides:Instance is required: the name of the sub-provisioner that makes the instance's server.";
            if (string.IsNullOrWhiteSpace(definition.Provides.Storage))
                yield return $"{where}:Provides:Storage is required: the name of the sub-provisioner that makes the instance's storage.";
            if (!definition.Default && definition.Service is null)
                yield return $"{where}:Service is required: the catalog service this provisioner brings (or Default=true to serve Catalog:Services).";
            if (ResourceUriProblem(definition.ResourceUri) is { } uri) yield return $"{where}:ResourceUri {uri}";
            foreach (var (offering, choice) in definition.Offerings)
            {
                if (!ParameterName().IsMatch(offering))
                    yield return $"{where}:Offerings:{offering}: an offering's name is a parameter name (lower case letters, digits and _).";
                if (choice.Values.Count == 0 || choice.Values.Any(string.IsNullOrWhiteSpace))
                    yield return $"{where}:Offerings:{offering}:Values must list the values a user may choose (none empty).";
            }
            if (definition.Service is not { } service) continue;
            foreach (var (plan, j) in service.Plans.Select((p, j) => (p, j)))
            {
                if (definition.Provides.HasDatabase && plan.Shape == InstanceShape.Server)
                    yield return $"{where}:Service:Plans:{j}:Shape: a Server plan has no database step, but Provides:Database is '{definition.Provides.Database}'.";
                if (!definition.Provides.HasDatabase && plan.Shape != InstanceShape.Server)
                    yield return $"{where}:Service:Plans:{j}:Shape must be Server: the provisioner has no database step (Provides:Database is none).";
            }
        }
    }

    private static string? ResourceUriProblem(string template)
    {
        if (string.IsNullOrWhiteSpace(template))
            return "is required: the template of the endpoint consoles talk to, e.g. redis://{host}:{port}.";
        var unknown = Placeholder().Matches(template).Select(m => m.Value).Where(p => !Provisioner.Placeholders.Contains(p)).ToList();
        if (unknown.Count > 0)
            return $"'{template}' has unknown placeholders {string.Join(", ", unknown)} (known: {string.Join(", ", Provisioner.Placeholders)}).";
        var sample = new Provisioner("", new ProvisionerDefinition { ResourceUri = template }).ResourceUriOf(Guid.Empty, "127.0.0.1", 1, "db");
        return Uri.TryCreate(sample, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Scheme) && !sample!.Contains('{') && !sample.Contains('}')
            ? null
            : $"'{template}' does not make an absolute URI (e.g. redis://{{host}}:{{port}}).";
    }

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex ParameterName();
}
