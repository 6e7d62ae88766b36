using EventSourced.Broker.Osb;

namespace EventSourced.Broker.ServiceBindings;

internal static class Ids
{
    public static bool TryParse(string instanceId, string bindingId, out (Guid Instance, Guid Binding) ids, out IResult? invalid)
    {
        ids = default;
        invalid = !Guid.TryParse(instanceId, out var instance) ? OsbErrors.BadRequest($"instance_id '{instanceId}' must be a GUID.")
            : !Guid.TryParse(bindingId, out var binding) ? OsbErrors.BadRequest($"binding_id '{bindingId}' must be a GUID.")
            : null;
        if (invalid is null) ids = (instance, binding);
        return invalid is null;
    }
}
