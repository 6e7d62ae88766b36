using System.Text.Json;
using EventSourced.Commands.Catalog;
using Microsoft.Extensions.Options;

namespace EventSourced.Commands.Tests.Catalog;

/// <summary>Plan schemas compiled by JsonSchema.Net at start, and request parameters validated against them.</summary>
public sealed class PlanSchemasTests : IDisposable
{
    private const string Draft07 = "http://json-schema.org/draft-07/schema#";
    private const string Where = "Catalog:Services:0:Plans:0:Schemas:ServiceInstanceCreate";

    private const string Parameters = """
        {
          "$schema": "http://json-schema.org/draft-07/schema#",
          "type": "object",
          "properties": {
            "max_connections": { "type": "integer", "minimum": 10, "maximum": 500 },
            "name": { "type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$" },
            "mode": { "enum": ["fast", "safe"] },
            "host": { "type": "string", "format": "ipv4" },
            "tags": { "type": "array", "items": { "type": "string" } },
            "extensions": { "type": "object", "additionalProperties": { "type": "boolean" } }
          },
          "required": ["max_connections"],
          "additionalProperties": false
        }
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("plan-schemas").FullName;
    private readonly ServicePlan _plan = new() { Id = "small", Name = "small", Description = "small", DiskMb = 1024 };

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private ServiceCatalog Catalog(string schemaFile, string? updateSchemaFile = null)
    {
        _plan.Schemas = new PlanSchemaFiles { ServiceInstanceCreate = schemaFile, ServiceInstanceUpdate = updateSchemaFile };
        var service = new ServiceOffering { Id = "svc", Name = "postgresql", Description = "PostgreSQL", Plans = [_plan] };
        return new ServiceCatalog(Options.Create(new CatalogOptions { Services = [service] }));
    }

    private static string Draft07Schema(string keywords) => "{\"$schema\": \"" + Draft07 + "\", " + keywords + "}";

    private IReadOnlyList<string> Validate(string? instance, string schema = Parameters) =>
        Catalog(Write(schema)).Schemas.Validate(_plan, SchemaKind.ServiceInstanceCreate, instance is null ? null : JsonDocument.Parse(instance).RootElement);

    [Fact]
    public void ValidParameters_HaveNoErrors() =>
        Assert.Empty(Validate("""
            {"max_connections": 100, "name": "ab", "mode": "safe", "host": "10.0.0.1", "tags": ["x"], "extensions": {"postgis": true}}
            """));

    [Fact]
    public void AbsentParameters_AreAnEmptyObject() =>
        Assert.Equal(["""parameters: Required properties ["max_connections"] are not present."""], Validate(null));

    [Theory]
    [InlineData("\"100\"", """parameters/max_connections: Value is "string" but should be "integer".""")]
    [InlineData("100.5", """parameters/max_connections: Value is "number" but should be "integer".""")]
    [InlineData("5", "parameters/max_connections: 5 should be at least 10.")]
    [InlineData("501", "parameters/max_connections: 501 should be at most 500.")]
    public void Integer_TypeAndBounds(string value, string error) =>
        Assert.Equal([error], Validate($$"""{"max_connections": {{value}}}"""));

    [Fact]
    public void Integer_WithZeroFraction_IsAnInteger() => Assert.Empty(Validate("""{"max_connections": 100.0}"""));

    [Fact]
    public void AdditionalProperties_False_RefusesUnknownNames() =>
        Assert.Equal(["parameters/shared_buffers: Value is not allowed."], Validate("""{"max_connections": 100, "shared_buffers": "1GB"}"""));

    [Fact]
    public void AdditionalProperties_Schema_ValidatesTheOthers() =>
        Assert.Equal(["""parameters/extensions/postgis: Value is "string" but should be "boolean"."""],
            Validate("""{"max_connections": 100, "extensions": {"postgis": "yes"}}"""));

    [Fact]
    public void Enum_RefusesOtherValues() =>
        Assert.Equal(["parameters/mode: Value should match one of the values specified by the enum."], Validate("""{"max_connections": 10, "mode": "slow"}"""));

    [Fact]
    public void String_LengthPatternAndFormat()
    {
        Assert.Equal(["parameters/name: Value should be at least 2 characters."], Validate("""{"max_connections": 10, "name": "a"}"""));
        Assert.Equal(["parameters/name: Value should be at most 4 characters."], Validate("""{"max_connections": 10, "name": "abcde"}"""));
        Assert.Equal(["parameters/name: The string value is not a match for the indicated regular expression."],
            Validate("""{"max_connections": 10, "name": "AB"}"""));
        Assert.Equal(["""parameters/host: Value does not match format "ipv4"."""], Validate("""{"max_connections": 10, "host": "db"}"""));
    }

    [Fact]
    public void String_LengthCountsCharactersNotUtf16Units() =>
        Assert.Empty(Validate("\"😀😀\"", Draft07Schema(""" "type": "string", "maxLength": 2 """)));

    [Fact]
    public void Items_AreValidatedWithTheirIndex() =>
        Assert.Equal(["""parameters/tags/1: Value is "integer" but should be "string"."""], Validate("""{"max_connections": 10, "tags": ["a", 3]}"""));

    [Fact]
    public void Location_IsAJsonPointer() =>
        Assert.Equal(["""parameters/a~1b: Value is "integer" but should be "string"."""],
            Validate("""{"a/b": 1}""", Draft07Schema(""" "properties": {"a/b": {"type": "string"}} """)));

    [Fact]
    public void EveryError_IsListed() =>
        Assert.Equal([
            """parameters: Required properties ["max_connections"] are not present.""",
            "parameters/name: Value should be at least 2 characters.",
            "parameters/name: The string value is not a match for the indicated regular expression.",
            "parameters/mode: Value should match one of the values specified by the enum.",
            "parameters/other: Value is not allowed.",
        ], Validate("""{"name": "A", "mode": "slow", "other": 1}"""));

    [Fact]
    public void FailingConditions_AreNotErrors_ButAFailedNotIs() =>
        Assert.Equal(["parameters/kind: Value does not match the schema at #/properties/kind."], Validate("""{"kind": "x"}""", Draft07Schema("""
            "properties": {"kind": {"not": {"const": "x"}}}, "if": {"properties": {"kind": {"const": "big"}}}, "then": {"required": ["size"]}
            """)));

    [Fact]
    public void InternalReferences_AreFollowed() =>
        Assert.Equal(["parameters/a: 0 should be at least 1."], Validate("""{"a": 0}""", Draft07Schema("""
            "definitions": {"positive": {"minimum": 1}}, "properties": {"a": {"$ref": "#/definitions/positive"}}
            """)));

    [Fact]
    public void OneCompiledSchema_ServesConcurrentRequests()
    {
        var schemas = Catalog(Write(Parameters)).Schemas;
        var valid = JsonDocument.Parse("""{"max_connections": 100}""").RootElement;
        var invalid = JsonDocument.Parse("""{"max_connections": 5, "other": 1}""").RootElement;
        var results = new IReadOnlyList<string>[2000];
        Parallel.For(0, results.Length, i => results[i] = schemas.Validate(_plan, SchemaKind.ServiceInstanceCreate, i % 2 == 0 ? valid : invalid));
        Assert.All(results.Where((_, i) => i % 2 == 0), Assert.Empty);
        Assert.All(results.Where((_, i) => i % 2 == 1), errors =>
            Assert.Equal(["parameters/max_connections: 5 should be at least 10.", "parameters/other: Value is not allowed."], errors));
    }

    [Theory]
    [InlineData("http://json-schema.org/draft-06/schema#")]
    [InlineData("http://json-schema.org/draft-07/schema#")]
    [InlineData("http://json-schema.org/draft-07/schema")]
    [InlineData("https://json-schema.org/draft/2019-09/schema")]
    [InlineData("https://json-schema.org/draft/2020-12/schema")]
    public void SupportedDialects_AreAccepted(string dialect) =>
        Assert.Equal(["parameters/a: 0 should be at most -1."],
            Validate("""{"a": 0}""", "{\"$schema\": \"" + dialect + "\", \"properties\": {\"a\": {\"maximum\": -1}}}"));

    [Fact]
    public void Draft04_IsRefusedNamingTheSupportedDialects()
    {
        var file = Write("""{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}""");
        var refusal = Assert.Throws<InvalidOperationException>(() => Catalog(file)).Message;
        Assert.Contains($"{Where} ('{file}'): ", refusal);
        Assert.Contains("\"$schema\" \"http://json-schema.org/draft-04/schema#\" is not supported: declare one of", refusal);
        Assert.Contains("https://json-schema.org/draft/2020-12/schema", refusal);
    }

    [Fact]
    public void MissingSchemaDeclaration_IsRefused()
    {
        var file = Write("""{"type": "object"}""");
        var refusal = Assert.Throws<InvalidOperationException>(() => Catalog(file)).Message;
        Assert.Contains($"{Where} ('{file}'): The schema must declare its JSON Schema version with \"$schema\" (OSB requires it).", refusal);
    }

    [Theory]
    [InlineData("""{"type": "thing"}""", "not a valid JSON Schema: 'thing' is not a valid JSON Schema value type")]
    [InlineData("""{"minLength": -1}""", "not a valid JSON Schema: 'minLength' value must be non-negative, found -1")]
    [InlineData("""{"pattern": "("}""", "not a valid JSON Schema: Invalid pattern '('")]
    [InlineData("""{"maximun": 3}""", "not a valid JSON Schema: Unknown keywords (maximun) are disallowed for this dialect.")]
    [InlineData("""{"$ref": "#/definitions/missing"}""", "\"$ref\" \"#/definitions/missing\" does not resolve inside the schema")]
    [InlineData("""{"$ref": "http://json-schema.org/draft-07/schema#"}""", "\"$ref\" \"http://json-schema.org/draft-07/schema#\" does not resolve inside the schema (OSB forbids external references).")]
    [InlineData("""{"format": "postgres-name"}""", "\"format\" \"postgres-name\" is unknown to JsonSchema.Net, so it would not be enforced.")]
    public void InvalidSchema_IsRefusedAtStartWithItsSettingPath(string property, string problem)
    {
        var file = Write(Draft07Schema("\"properties\": {\"a\": " + property + "}"));
        var refusal = Assert.Throws<InvalidOperationException>(() => Catalog(file)).Message;
        Assert.Contains($"{Where} ('{file}'): {problem}", refusal);
    }

    [Fact]
    public void OneFileWithAnId_ServesSeveralSettingsAndCatalogs()
    {
        var file = Write(Draft07Schema(""" "$id": "https://broker.example/parameters.json", "maxProperties": 0 """));
        Catalog(file, file);
        var catalog = Catalog(file, file);
        var parameters = JsonDocument.Parse("""{"a": 1}""").RootElement;
        Assert.Equal(["parameters: Value should have at most 0 properties."], catalog.Schemas.Validate(_plan, SchemaKind.ServiceInstanceUpdate, parameters));
    }
}
