using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using EventSourced.Broker.Dashboard;
using EventSourced.Commands.Secrets;
using EventSourced.Provisioners;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Snapshots;

namespace EventSourced.Broker.Ops;

/// <summary>
/// The operators' REST API under <c>/api/v1</c>: one group, authenticated with the ops credentials (<see cref="OpsOptions"/>,
/// checked by <c>BasicAuthentication</c> for every path under <see cref="Prefix"/>, mapped or not, before anything is read),
/// described by the OpenAPI document at <see cref="DocumentPath"/>. Routes added to the group are covered by both.
/// </summary>
public static class OpsApi
{
    public const string Prefix = "/api/v1";
    /// <summary>The document's name: the default one, since its path (<see cref="DocumentPath"/>) names none.</summary>
    public const string DocumentName = "v1";
    public const string DocumentPath = $"{Prefix}/openapi.json";

    /// <summary>Platform name of the originating identity an ops request records, as OSB platforms record theirs.</summary>
    public const string Platform = "ops";

    /// <summary>Camel-case bodies, a duplicate key refused (which of two values the operator meant is not ours to guess).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { AllowDuplicateProperties = false };

    /// <summary>Where this broker places instances (DFE's guest location): its backend, <c>local</c> or <c>simulated</c>.</summary>
    public static string GuestLocation(IConfiguration configuration) =>
        configuration[BackendServiceCollectionExtensions.BackendSetting]?.ToLowerInvariant() ?? "local";

    public static bool Covers(PathString path) => path.StartsWithSegments(Prefix, StringComparison.OrdinalIgnoreCase);

    public static IServiceCollection AddOpsApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OpsOptions>().Bind(configuration.GetSection(OpsOptions.Section));
        services.AddSingleton<OpsJobs>();
        services.AddSnapshots(configuration);
        services.AddSingleton<SnapshotVerification>();
        services.AddSingleton(sp => new SnapshotLinks(
            new DashboardLinkSigner(sp.GetRequiredService<SecretProtector>().DeriveKey(SnapshotLinks.KeyPurpose)),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SnapshotOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddOpenApi(DocumentName, options =>
        {
            options.ShouldInclude = description => Covers("/" + description.RelativePath);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "On-demand PostgreSQL service broker: ops API";
                document.Info.Description = "Provisioning jobs, instances, provisioners and status for operators (HTTP basic auth: Ops__Username / Ops__Password).";
                return Task.CompletedTask;
            });
            // A record's constructor parameters without a default are always in its JSON: the document says so, so clients
            // (and the test that checks every answer against it) can rely on them.
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonTypeInfo.Kind != JsonTypeInfoKind.Object) return Task.CompletedTask;
                foreach (var property in context.JsonTypeInfo.Properties.Where(p => p.AssociatedParameter is { HasDefaultValue: false }))
                    (schema.Required ??= new HashSet<string>()).Add(property.Name);
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>The <c>/api/v1</c> group with the ops routes, and its OpenAPI document; more routes can be added to the group returned.</summary>
    public static RouteGroupBuilder MapOpsApi(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath).ExcludeFromDescription();
        var api = app.MapGroup(Prefix);
        api.MapGroup("/ops").WithTags("ops").MapOpsJobs().MapOpsQueries().MapOpsSnapshots().MapOpsBackups().MapOpsFleet();
        return api;
    }

    /// <summary>
    /// Who asked, as an OSB originating identity (<c>ops base64({"username": …})</c>): kept in the event metadata with the
    /// request, and told to <c>dfe.*</c> subscribers as the requesting service. The caller passed authentication already.
    /// </summary>
    public static string OriginatingIdentity(HttpRequest request)
    {
        var identity = new JsonObject { ["username"] = UserName(request) };
        return $"{Platform} {Convert.ToBase64String(Encoding.UTF8.GetBytes(identity.ToJsonString()))}";
    }

    /// <summary>The ops client's user name, from the credentials authentication accepted.</summary>
    public static string UserName(HttpRequest request)
    {
        var header = AuthenticationHeaderValue.Parse(request.Headers.Authorization!);
        var credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter!));
        return credentials[..credentials.IndexOf(':')];
    }
}
