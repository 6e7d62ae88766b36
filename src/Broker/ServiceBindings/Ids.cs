using EventSourced.Broker.Osb;

namespace EventSourced.Broker.ServiceBindings;

internal static class Ids
{
    public static bool TryParse(string instanceId, string bindingId, out (Guid Instance, Guid Binding) ids, out IResult? invalid)
    {
        ids = default;
        invalid = null;
        if (!Guid.TryParse(instanceId, out var instance)) invalid = OsbErrors.BadRequest($"instance_id '{instanceId}' must be a GUID.");
        else if (!Guid.TryParse(bindingId, out var binding)) invalid = OsbErrors.BadRequest($"binding_id '{bindingId}' must be a GUID.");
        else ids = (instance, binding);
        return invalid is null;
    }
}
