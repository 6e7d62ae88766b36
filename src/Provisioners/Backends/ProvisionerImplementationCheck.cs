using EventSourced.Commands.Catalog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backends;

/// <summary>
/// At the start of a worker: every implementation an enabled stanza names exists for its step, or the broker refuses to
/// start naming the setting and the implementations there are.
/// </summary>
internal sealed class ProvisionerImplementationCheck(IServiceProviderIsKeyedService keyed) : IValidateOptions<ProvisionerDefinitionsOptions>
{
    public ValidateOptionsResult Validate(string? name, ProvisionerDefinitionsOptions options)
    {
        var problems = new List<string>();
        foreach (var (stanza, definition) in options.Definitions.Where(d => d.Value.Enabled))
        {
            var where = $"{ProvisionerDefinitionsOptions.DefinitionsSetting}:{stanza}:Provides";
            Check(problems, $"{where}:Instance", definition.Provides.Instance, typeof(IServerBackend), "instance");
            Check(problems, $"{where}:Storage", definition.Provides.Storage, typeof(IStorageBackend), "storage");
            if (definition.Provides.HasDatabase) Check(problems, $"{where}:Database", definition.Provides.Database!, typeof(IDatabaseBackend), "database");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private void Check(List<string> problems, string setting, string implementation, Type step, string what)
    {
        if (string.IsNullOrWhiteSpace(implementation) || keyed.IsKeyedService(step, implementation)) return;
        var known = NamedImplementations.In(typeof(NamedImplementations)).Where(n => step.IsAssignableFrom(n.Type)).Select(n => n.Name).Distinct();
        problems.Add($"{setting} '{implementation}' names no {what} sub-provisioner (known: {string.Join(", ", known)}).");
    }
}
