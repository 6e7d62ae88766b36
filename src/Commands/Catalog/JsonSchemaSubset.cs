using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EventSourced.Commands.Catalog;

/// <summary>
/// JSON Schema (draft-04 semantics) for request parameters, restricted to a documented subset: <c>type</c>,
/// <c>properties</c>, <c>required</c>, <c>additionalProperties</c> (boolean or schema), <c>enum</c>, <c>minimum</c>,
/// <c>maximum</c>, <c>minLength</c>, <c>maxLength</c>, <c>pattern</c> and <c>items</c>; the annotations <c>$schema</c>,
/// <c>title</c>, <c>description</c>, <c>default</c>, <c>examples</c> and <c>$comment</c> are accepted and ignored. A
/// catalog schema with any other keyword is refused at start (<see cref="Check"/>), so nothing is silently unenforced.
/// Hand-written against issue 4's "use JsonSchema.Net" because no full validator restores here: JsonSchema.Net 9.x needs
/// JsonPointer.Net and NJsonSchema needs NJsonSchema.Annotations, which the package mirror does not serve, and
/// Newtonsoft.Json.Schema is AGPL/commercial with a cap on validations per hour. Swap in JsonSchema.Net once it restores.
/// </summary>
public static class JsonSchemaSubset
{
    private static readonly HashSet<string> Ignored = ["$schema", "title", "description", "default", "examples", "$comment"];
    private static readonly HashSet<string> Types = ["object", "array", "string", "integer", "number", "boolean", "null"];

    /// <summary>Whether a schema stays inside the subset; each problem names its place (<c>properties.x.minimum</c>).</summary>
    public static List<string> Check(JsonElement schema, string at = "")
    {
        var problems = new List<string>();
        if (schema.ValueKind != JsonValueKind.Object) return [$"{Where(at)} must be a JSON object."];
        foreach (var keyword in schema.EnumerateObject())
        {
            var here = Join(at, keyword.Name);
            var value = keyword.Value;
            switch (keyword.Name)
            {
                case var name when Ignored.Contains(name):
                    break;
                case "type":
                    var names = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
                    if (names.Count == 0 || names.Any(n => n.ValueKind != JsonValueKind.String || !Types.Contains(n.GetString()!)))
                        problems.Add($"{here} must name JSON Schema types ({string.Join(", ", Types)}).");
                    break;
                case "properties":
                    if (value.ValueKind != JsonValueKind.Object) problems.Add($"{here} must be an object of schemas.");
                    else foreach (var property in value.EnumerateObject()) problems.AddRange(Check(property.Value, Join(here, property.Name)));
                    break;
                case "required":
                    if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String))
                        problems.Add($"{here} must be an array of property names.");
                    break;
                case "additionalProperties":
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) problems.AddRange(Check(value, here));
                    break;
                case "items":
                    problems.AddRange(Check(value, here));
                    break;
                case "enum":
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0) problems.Add($"{here} must be a non-empty array.");
                    break;
                case "minimum" or "maximum":
                    if (value.ValueKind != JsonValueKind.Number) problems.Add($"{here} must be a number.");
                    break;
                case "minLength" or "maxLength":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var length) || length < 0)
                        problems.Add($"{here} must be a non-negative integer.");
                    break;
                case "pattern":
                    if (value.ValueKind != JsonValueKind.String || !Compiles(value.GetString()!)) problems.Add($"{here} must be a valid regular expression.");
                    break;
                default:
                    problems.Add($"{here}: the keyword '{keyword.Name}' is not supported by this broker's JSON Schema subset.");
                    break;
            }
        }
        return problems;
    }

    /// <summary>Every way <paramref name="instance"/> breaks <paramref name="schema"/>, each with its path (<c>parameters.max_connections</c>).</summary>
    public static List<string> Validate(JsonElement schema, JsonElement instance, string at = "parameters")
    {
        var errors = new List<string>();
        if (schema.TryGetProperty("type", out var type) && !HasType(instance, type))
            return [$"{at} must be of type {TypeNames(type)}, not {Describe(instance)}."];
        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, instance)))
            errors.Add($"{at} must be one of {allowed.GetRawText()}.");
        switch (instance.ValueKind)
        {
            case JsonValueKind.Object:
                ValidateObject(schema, instance, at, errors);
                break;
            case JsonValueKind.Array when schema.TryGetProperty("items", out var items):
                var i = 0;
                foreach (var item in instance.EnumerateArray()) errors.AddRange(Validate(items, item, $"{at}[{i++}]"));
                break;
            case JsonValueKind.Number:
                var number = instance.GetDouble();
                if (schema.TryGetProperty("minimum", out var minimum) && number < minimum.GetDouble()) errors.Add($"{at} must be at least {minimum.GetRawText()}.");
                if (schema.TryGetProperty("maximum", out var maximum) && number > maximum.GetDouble()) errors.Add($"{at} must be at most {maximum.GetRawText()}.");
                break;
            case JsonValueKind.String:
                var text = instance.GetString()!;
                var runes = text.EnumerateRunes().Count();
                if (schema.TryGetProperty("minLength", out var minLength) && runes < minLength.GetInt32()) errors.Add($"{at} must be at least {minLength.GetInt32()} characters long.");
                if (schema.TryGetProperty("maxLength", out var maxLength) && runes > maxLength.GetInt32()) errors.Add($"{at} must be at most {maxLength.GetInt32()} characters long.");
                if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(text, pattern.GetString()!, RegexOptions.None, TimeSpan.FromSeconds(1)))
                    errors.Add($"{at} must match the pattern {pattern.GetString()}.");
                break;
        }
        return errors;
    }

    private static void ValidateObject(JsonElement schema, JsonElement instance, string at, List<string> errors)
    {
        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        if (schema.TryGetProperty("required", out var required))
            foreach (var name in required.EnumerateArray().Select(n => n.GetString()!))
                if (!instance.TryGetProperty(name, out _)) errors.Add($"{Join(at, name)} is required.");
        var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
        foreach (var property in instance.EnumerateObject())
        {
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
                errors.AddRange(Validate(propertySchema, property.Value, Join(at, property.Name)));
            else if (additional.ValueKind == JsonValueKind.False)
                errors.Add($"{Join(at, property.Name)} is not allowed.");
            else if (additional.ValueKind == JsonValueKind.Object)
                errors.AddRange(Validate(additional, property.Value, Join(at, property.Name)));
        }
    }

    private static bool HasType(JsonElement instance, JsonElement type) =>
        (type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!) : [type.GetString()!]).Any(name => name switch
        {
            "object" => instance.ValueKind == JsonValueKind.Object,
            "array" => instance.ValueKind == JsonValueKind.Array,
            "string" => instance.ValueKind == JsonValueKind.String,
            "number" => instance.ValueKind == JsonValueKind.Number,
            "integer" => instance.ValueKind == JsonValueKind.Number && decimal.TryParse(instance.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d),
            "boolean" => instance.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "null" => instance.ValueKind == JsonValueKind.Null,
            _ => false,
        });

    private static string TypeNames(JsonElement type) =>
        type.ValueKind == JsonValueKind.Array ? string.Join(" or ", type.EnumerateArray().Select(t => t.GetString())) : type.GetString()!;

    private static string Describe(JsonElement instance) => instance.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {instance.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static bool Compiles(string pattern)
    {
        try { _ = new Regex(pattern); return true; }
        catch (ArgumentException) { return false; }
    }

    private static string Join(string at, string name) => at.Length == 0 ? name : $"{at}.{name}";

    private static string Where(string at) => at.Length == 0 ? "The schema" : at;
}
