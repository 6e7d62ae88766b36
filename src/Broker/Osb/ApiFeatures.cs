namespace EventSourced.Broker.Osb;

/// <summary>What the OSB API added after 2.13, the oldest version this broker accepts; see <see cref="ApiFeatures"/>.</summary>
public enum ApiFeature
{
    CatalogSchemas,
    OriginatingIdentity,
    InstancesRetrievable,
    BindingsRetrievable,
    AsyncBindings,
    AllowContextUpdates,
    PlanUpdateableOnPlan,
    MaximumPollingDuration,
    MaintenanceInfo,
    BindingEndpoints,
    RequestIdentity,
    InstanceUsable,
    UpdateRepeatable,
    InstanceMetadata,
    BindingExpiresAt,
    CatalogETag,
    BindingRotation,
    BindingRenewBefore,
    InstanceFetchMetadata,
}

/// <summary>
/// The one table of which API version introduced what, so a platform is only shown fields its version defines.
/// Source: openservicebrokerapi/servicebroker release-notes.md (sections v2.13 to v2.17) and the Service Offering / Service
/// Plan / Maintenance Info tables of spec.md:
/// <code>
/// feature                                              since  release-notes.md says
/// catalog plan `schemas`                               2.13   "Added `schemas` field ... creating/updating an instance, creating a binding"
/// X-Broker-API-Originating-Identity                    2.13   "Add originating identity HTTP header"
/// `instances_retrievable`, `bindings_retrievable`      2.14   "Added GET endpoints for fetching a Service Instance and Service Binding"
/// async bindings                                       2.14   "Added support for asynchronous Service Bindings"
/// service `allow_context_updates`                      2.15   "Allow a Service Instance context to be updated"
/// plan `plan_updateable`                               2.15   "Add plan_updateable field to the Service Plan object"
/// plan `maximum_polling_duration`                      2.15   "Added a Service Offering specific async polling timeout"
/// plan `maintenance_info` {version, description}       2.15   "Added maintenance info support to Service Plans" (description
///                                                             is already in the Maintenance Info table before the v2.15 tag)
/// binding `endpoints`                                  2.15   "Added list of endpoints to create Service Binding response body"
/// X-Broker-API-Request-Identity                        2.15   "Added request identity header"
/// `instance_usable`, `update_repeatable`               2.16   "Allow Service Brokers to indicate if a Service Instance is still
///                                                             usable after a failed update ... and if an update can be repeated"
/// instance `metadata` in provision/update responses    2.16   "Service Instances can be labelled with information defined by the Service Broker"
/// binding `metadata.expires_at`                        2.16   "Add expiration date and time for bindings"
/// catalog ETag / If-None-Match                         2.16   "Add support for ETag and If-Modified-Since headers"
/// `binding_rotatable`, `predecessor_binding_id`        2.17   "Add binding rotation fields to the spec and guidance on how to use
/// binding `metadata.renew_before`                      2.17    the expiration fields for service binding"
/// instance `metadata` in fetch                         2.17   "Moved attributes to metadata and returns the metadata on fetch"
/// </code>
/// Fields from 2.12 or earlier (service id, name, description, tags, requires, bindable, metadata, plan_updateable; plan id,
/// name, description, metadata, free, bindable) need no entry: every accepted version has them.
/// </summary>
public static class ApiFeatures
{
    public static readonly IReadOnlyDictionary<ApiFeature, Version> Since = new Dictionary<ApiFeature, Version>
    {
        [ApiFeature.CatalogSchemas] = new(2, 13),
        [ApiFeature.OriginatingIdentity] = new(2, 13),
        [ApiFeature.InstancesRetrievable] = new(2, 14),
        [ApiFeature.BindingsRetrievable] = new(2, 14),
        [ApiFeature.AsyncBindings] = new(2, 14),
        [ApiFeature.AllowContextUpdates] = new(2, 15),
        [ApiFeature.PlanUpdateableOnPlan] = new(2, 15),
        [ApiFeature.MaximumPollingDuration] = new(2, 15),
        [ApiFeature.MaintenanceInfo] = new(2, 15),
        [ApiFeature.BindingEndpoints] = new(2, 15),
        [ApiFeature.RequestIdentity] = new(2, 15),
        [ApiFeature.InstanceUsable] = new(2, 16),
        [ApiFeature.UpdateRepeatable] = new(2, 16),
        [ApiFeature.InstanceMetadata] = new(2, 16),
        [ApiFeature.BindingExpiresAt] = new(2, 16),
        [ApiFeature.CatalogETag] = new(2, 16),
        [ApiFeature.BindingRotation] = new(2, 17),
        [ApiFeature.BindingRenewBefore] = new(2, 17),
        [ApiFeature.InstanceFetchMetadata] = new(2, 17),
    };

    public static bool Supports(this Version version, ApiFeature feature) => version >= Since[feature];
}
