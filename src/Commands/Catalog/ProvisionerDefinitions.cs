namespace EventSourced.Commands.Catalog;

/// <summary>
/// The provisioners, bound from the configuration section <c>Provisioners</c> (its <c>Definitions</c>): each a stanza naming
/// the sub-provisioner implementations it is made of, so adding a provisioner is its stanza and its classes, with no
/// edit to the composition root.
/// </summary>
public sealed class ProvisionerDefinitionsOptions
{
    public const string Section = "Provisioners";
    public const string DefinitionsSetting = "Provisioners:Definitions";

    public Dictionary<string, ProvisionerDefinition> Definitions { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One provisioner: which implementation does each step, which catalog service it serves, what users may choose.</summary>
public sealed class ProvisionerDefinition
{
    /// <summary>False leaves the stanza out entirely (its service is not in the catalog, nothing of it is checked).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Serves every service of <c>Catalog:Services</c> that no stanza brings (exactly one enabled stanza is the default,
    /// when any is configured): the catalog's services keep working under their own ids and names.
    /// </summary>
    public bool Default { get; set; }

    /// <summary>The sub-provisioner implementation of each step, by its registered name.</summary>
    public ProvidedSteps Provides { get; set; } = new();

    /// <summary>The catalog service this provisioner brings, in the format of a <c>Catalog:Services</c> entry.</summary>
    public ServiceOffering? Service { get; set; }

    /// <summary>
    /// End-user choices (versions, features): each becomes a parameter of its plans' create and update schemas, whose
    /// values are the only ones accepted.
    /// </summary>
    public Dictionary<string, OfferingChoice> Offerings { get; set; } = [];

    /// <summary>
    /// Where consoles talk to a provisioned instance, with <c>{host}</c>, <c>{port}</c>, <c>{database}</c> and
    /// <c>{instance_id}</c> filled in: it goes into the <c>dfe.*</c> events and onto the dashboard (never with credentials).
    /// </summary>
    public string ResourceUri { get; set; } = "";
}

/// <summary>What implements each step. An empty (or <c>none</c>) database: the provisioner has no database step.</summary>
public sealed class ProvidedSteps
{
    public string Instance { get; set; } = "";
    public string Storage { get; set; } = "";
    public string? Database { get; set; }

    public bool HasDatabase => !string.IsNullOrWhiteSpace(Database) && !Database.Equals("none", StringComparison.OrdinalIgnoreCase);
}

public sealed class OfferingChoice
{
    public string Description { get; set; } = "";
    public List<string> Values { get; set; } = [];
}

/// <summary>A provisioner as the catalog resolved it: its stanza's name (the mnemonic) and definition.</summary>
public sealed record Provisioner(string Name, ProvisionerDefinition Definition)
{
    public static readonly string[] Placeholders = ["{host}", "{port}", "{database}", "{instance_id}"];

    /// <summary>The resource URI of an instance; null until the instance has a server.</summary>
    public string? ResourceUriOf(Guid instanceId, string? host, int? port, string? database) =>
        host is null || port is null || string.IsNullOrWhiteSpace(Definition.ResourceUri)
            ? null
            : Definition.ResourceUri.Replace("{host}", host).Replace("{port}", port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Replace("{database}", database ?? "").Replace("{instance_id}", instanceId.ToString("D"));
}
