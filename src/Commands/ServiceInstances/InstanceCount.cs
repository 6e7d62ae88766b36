using System.Globalization;
using System.Text.Json;
using EventSourced.Commands.Catalog;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>
/// The <c>instances</c> parameter of a dedicated instance: how many PostgreSQL servers it runs, the primary and
/// <c>instances - 1</c> streaming replicas of it. 1 to the plan's limit, its metadata <c>max_instances</c>; a plan
/// without one allows 1 (no replicas).
/// </summary>
public static class InstanceCount
{
    public const string Parameter = "instances";
    public const string LimitMetadata = "max_instances";

    /// <summary>The most instances an instance of <paramref name="plan"/> may have (1 when the plan names no valid limit).</summary>
    public static int LimitOf(ServicePlan plan) =>
        plan.Metadata.GetValueOrDefault(LimitMetadata) is { } text && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit >= 1
            ? limit
            : 1;

    /// <summary>The count the parameters ask for (1 when they name none). Call on validated parameters only.</summary>
    public static int Of(string? parameters)
    {
        if (string.IsNullOrWhiteSpace(parameters)) return 1;
        using var document = JsonDocument.Parse(parameters);
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(Parameter, out var count)
               && count.ValueKind == JsonValueKind.Number && count.TryGetInt32(out var n) ? n : 1;
    }

    /// <summary>Why the parameters' <c>instances</c> is refused for <paramref name="plan"/>, or null when absent or fine.</summary>
    public static string? Refusal(ServicePlan plan, JsonElement? parameters)
    {
        if (parameters is not { ValueKind: JsonValueKind.Object } body || !body.TryGetProperty(Parameter, out var count)) return null;
        var limit = LimitOf(plan);
        var range = $"an integer from 1 to {limit} (plan {plan.Name}'s {LimitMetadata})";
        if (count.ValueKind != JsonValueKind.Number || !count.TryGetInt32(out var n))
            return $"parameters.{Parameter} must be {range}, not {count.GetRawText()}.";
        return n < 1 || n > limit ? $"parameters.{Parameter} must be {range}, not {n}." : null;
    }

    /// <summary>
    /// Why moving <paramref name="instance"/> to <paramref name="target"/> is refused (a 422), or null: the target plan
    /// allows fewer instances than the instance runs and the PATCH does not scale it down to fit. A count the PATCH names
    /// is checked by <see cref="Refusal"/> against the target plan instead.
    /// </summary>
    public static string? PlanChangeRefusal(ServiceInstance instance, ServicePlan target, JsonElement? parameters)
    {
        if (parameters is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty(Parameter, out _)) return null;
        var (current, limit) = (Of(instance.Parameters), LimitOf(target));
        return current <= limit ? null
            : $"Plan {target.Name} allows at most {limit} instance(s) (its {LimitMetadata}), and service instance {instance.Id} runs {current} "
              + $"(the primary and {current - 1} replica(s)): scale it down in the same PATCH "
              + $"(\"parameters\": {{\"{Parameter}\": {limit}}}) or first. Nothing was changed.";
    }
}
