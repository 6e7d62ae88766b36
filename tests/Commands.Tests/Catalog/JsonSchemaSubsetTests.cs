using System.Text.Json;
using EventSourced.Commands.Catalog;

namespace EventSourced.Commands.Tests.Catalog;

public sealed class JsonSchemaSubsetTests
{
    private const string Parameters = """
        {
          "$schema": "http://json-schema.org/draft-04/schema#",
          "type": "object",
          "properties": {
            "max_connections": { "type": "integer", "minimum": 10, "maximum": 500 },
            "name": { "type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$" },
            "mode": { "enum": ["fast", "safe"] },
            "tags": { "type": "array", "items": { "type": "string" } },
            "extensions": { "type": "object", "additionalProperties": { "type": "boolean" } }
          },
          "required": ["max_connections"],
          "additionalProperties": false
        }
        """;

    private static List<string> Validate(string instance, string schema = Parameters) =>
        JsonSchemaSubset.Validate(JsonDocument.Parse(schema).RootElement, JsonDocument.Parse(instance).RootElement);

    [Fact]
    public void ValidParameters_HaveNoErrors() =>
        Assert.Empty(Validate("""{"max_connections": 100, "name": "ab", "mode": "safe", "tags": ["x"], "extensions": {"postgis": true}}"""));

    [Fact]
    public void Required_Missing_IsNamedWithItsPath() =>
        Assert.Equal(["parameters.max_connections is required."], Validate("{}"));

    [Fact]
    public void AdditionalProperties_False_RefusesUnknownNames() =>
        Assert.Equal(["parameters.shared_buffers is not allowed."], Validate("""{"max_connections": 100, "shared_buffers": "1GB"}"""));

    [Fact]
    public void AdditionalProperties_Schema_ValidatesTheOthers() =>
        Assert.Equal(["parameters.extensions.postgis must be of type boolean, not a string."],
            Validate("""{"max_connections": 100, "extensions": {"postgis": "yes"}}"""));

    [Theory]
    [InlineData("5", "parameters.max_connections must be at least 10.")]
    [InlineData("501", "parameters.max_connections must be at most 500.")]
    [InlineData("100.5", "parameters.max_connections must be of type integer, not the number 100.5.")]
    [InlineData("\"100\"", "parameters.max_connections must be of type integer, not a string.")]
    public void Integer_BoundsAndType(string value, string error) =>
        Assert.Equal([error], Validate($$"""{"max_connections": {{value}}}"""));

    [Fact]
    public void Integer_WithZeroFraction_IsAnInteger() => Assert.Empty(Validate("""{"max_connections": 100.0}"""));

    [Fact]
    public void String_LengthAndPattern()
    {
        Assert.Equal(["parameters.name must be at least 2 characters long."], Validate("""{"max_connections": 10, "name": "a"}"""));
        Assert.Equal(["parameters.name must be at most 4 characters long."], Validate("""{"max_connections": 10, "name": "abcde"}"""));
        Assert.Equal(["parameters.name must match the pattern ^[a-z]+$."], Validate("""{"max_connections": 10, "name": "AB"}"""));
    }

    [Fact]
    public void String_LengthCountsCharactersNotUtf16Units() =>
        Assert.Empty(Validate("\"😀😀\"", """{"type": "string", "maxLength": 2}"""));

    [Fact]
    public void Enum_RefusesOtherValues() =>
        Assert.Equal(["""parameters.mode must be one of ["fast", "safe"]."""], Validate("""{"max_connections": 10, "mode": "slow"}"""));

    [Fact]
    public void Items_AreValidatedWithTheirIndex() =>
        Assert.Equal(["parameters.tags[1] must be of type string, not the number 3."], Validate("""{"max_connections": 10, "tags": ["a", 3]}"""));

    [Fact]
    public void EveryError_IsListed() =>
        Assert.Equal([
            "parameters.max_connections must be at least 10.",
            "parameters.name must be at least 2 characters long.",
            "parameters.name must match the pattern ^[a-z]+$.",
            "parameters.other is not allowed.",
        ], Validate("""{"max_connections": 1, "name": "A", "other": 1}"""));

    [Fact]
    public void Check_AcceptsTheSubset() => Assert.Empty(JsonSchemaSubset.Check(JsonDocument.Parse(Parameters).RootElement));

    [Fact]
    public void Check_NamesUnsupportedKeywordsAndBadValues()
    {
        var problems = JsonSchemaSubset.Check(JsonDocument.Parse("""
            {"type": "thing", "properties": {"a": {"$ref": "#/x", "pattern": "(", "minLength": -1}}, "allOf": []}
            """).RootElement);
        Assert.Contains(problems, p => p.StartsWith("type must name JSON Schema types"));
        Assert.Contains("properties.a.$ref: the keyword '$ref' is not supported by this broker's JSON Schema subset.", problems);
        Assert.Contains("properties.a.pattern must be a valid regular expression.", problems);
        Assert.Contains("properties.a.minLength must be a non-negative integer.", problems);
        Assert.Contains("allOf: the keyword 'allOf' is not supported by this broker's JSON Schema subset.", problems);
    }
}
