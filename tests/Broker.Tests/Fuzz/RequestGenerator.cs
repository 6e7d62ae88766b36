using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Osb;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Fuzz;

/// <summary>
/// Hostile requests over every mapped route and every method, reproducible from a seed: request <c>i</c> depends only
/// on (seed, i). Each one is refused for at least one reason the broker must see (a <see cref="Breakage"/>), so none
/// may append an event; on top come hostile shapes that are not reasons by themselves (<see cref="Noise"/>) and
/// malformed HTTP (<see cref="MalformHttp"/>).
/// Kinds: 60% a valid-looking request with exactly one thing broken, 30% chaos (several breakages and noise, any
/// method), 10% broken HTTP framing on top of a breakage.
/// </summary>
public sealed class RequestGenerator(int seed, IReadOnlyList<MappedEndpoint> endpoints, FuzzTarget target)
{
    public static readonly string[] Methods = ["GET", "PUT", "PATCH", "DELETE", "POST", "HEAD", "OPTIONS"];

    private const string Instance = "/v2/service_instances/{instanceId}";
    private const string Binding = Instance + "/service_bindings/{bindingId}";

    private static readonly string[] BadIds =
    [
        "not-a-guid", "ĝüïđ-ünïcødé", "..%2f..%2fadmin%2finstances", "...", "%2e%2e%2e", "a%2Fb", "%00", "00000000-0000-0000-0000-00000000000g",
        "🐘", new string('a', 300), "${jndi:ldap://x/a}", "';DROP TABLE mt_events;--", "<script>alert(1)</script>", "null", "-1",
        "%E2%80%AE" + "dcba", "%ff%fe", "con", "..%5c..%5cwindows", "\u0130nstance", "%20", "0x1",
    ];

    private static readonly string[] UnicodeText =
    [
        "ünïcødé", "日本語のテキスト", "🐘🐘🐘", "\u202eevil\u202c", "zero\u200bwidth", "e\u0301\u0301\u0301", "ﬀ", "Ω≈ç√∫", "\uFEFFbom", "\uFFFF",
        "\U0001F600", "מִבְחָן", "a\tb", "back\\slash", "quote\"d",
    ];

    public FuzzRequest Generate(int index)
    {
        var random = new Random(HashCode.Combine(seed, index));
        var (endpoint, draft) = Baseline(random, index);
        var roll = random.NextDouble();
        if (roll < 0.6)
        {
            draft.Shapes.Insert(0, "one broken");
            Break(random, endpoint, draft, chunkedAllowed: true);
        }
        else
        {
            draft.Shapes.Insert(0, roll < 0.9 ? "chaos" : "broken HTTP");
            for (var i = random.Next(0, 4); i > 0; i--) Noise(random, endpoint, draft);
            for (var i = random.Next(1, 3); i > 0; i--) Break(random, endpoint, draft, chunkedAllowed: false);
            if (roll >= 0.9) MalformHttp(random, draft);
        }
        return draft.Build(index, target.Host, random);
    }

    /// <summary>What a well-behaved platform would send to this route and method (which may be accepted, hence the breakages).</summary>
    private (MappedEndpoint? Endpoint, Draft Draft) Baseline(Random random, int index)
    {
        MappedEndpoint? endpoint = random.NextDouble() < 0.07 ? null : endpoints[random.Next(endpoints.Count)];
        var method = endpoint is not null && random.NextDouble() < 0.85 ? endpoint.Method : Methods[random.Next(Methods.Length)];
        var instance = random.NextDouble() < 0.6 ? target.Instance : NewGuid(random);
        var binding = instance == target.Instance && random.NextDouble() < 0.6 ? target.Binding : NewGuid(random);
        var path = endpoint?.Path(p => p.Name == "bindingId" ? binding.ToString() : instance.ToString())
            ?? Pick(random, ["/", "/v2", "/v2/", "/v3/catalog", "/admin", "/metrics", "/health/x", "/v2/service_instances", "/.env", "/v2/catalog/x"]);
        var draft = new Draft { Method = method, Path = path };
        draft.Shapes.Add($"{method} {endpoint?.Template ?? path}");
        draft.SetHeader("Authorization", Basic(target.Username, target.Password));
        draft.SetHeader("X-Broker-API-Version", $"2.{random.Next(13, 18)}");
        draft.SetHeader("X-Broker-API-Request-Identity", FuzzRequest.RequestIdentity(index));
        if (random.NextDouble() < 0.3)
            draft.SetHeader("X-Broker-API-Originating-Identity", "cloudfoundry " + Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"user_id\":\"fuzz\"}")));
        switch (endpoint?.Template, method)
        {
            case (Instance, "PUT"):
                draft.SetQuery("accepts_incomplete", "true");
                draft.Json = new JsonObject
                {
                    ["service_id"] = ServiceId, ["plan_id"] = random.NextDouble() < 0.5 ? SmallPlanId : LargePlanId,
                    ["organization_guid"] = $"org-{random.Next()}", ["space_guid"] = $"space-{random.Next()}",
                };
                if (random.NextDouble() < 0.5) draft.Json["parameters"] = new JsonObject { ["max_connections"] = random.Next(10, 501) };
                if (random.NextDouble() < 0.5) draft.Json["context"] = new JsonObject { ["platform"] = "cloudfoundry", ["organization_name"] = Pick(random, UnicodeText) };
                if (random.NextDouble() < 0.3) draft.Json["maintenance_info"] = new JsonObject { ["version"] = "1.0.0" };
                break;
            case (Instance, "PATCH"):
                draft.SetQuery("accepts_incomplete", "true");
                draft.Json = new JsonObject { ["service_id"] = ServiceId };
                if (random.NextDouble() < 0.5) draft.Json["plan_id"] = random.NextDouble() < 0.5 ? SmallPlanId : LargePlanId;
                if (random.NextDouble() < 0.5) draft.Json["parameters"] = new JsonObject { ["max_connections"] = random.Next(10, 501) };
                if (random.NextDouble() < 0.3) draft.Json["context"] = new JsonObject { ["platform"] = "cloudfoundry", ["space_name"] = Pick(random, UnicodeText) };
                if (random.NextDouble() < 0.3) draft.Json["previous_values"] = new JsonObject { ["plan_id"] = SmallPlanId };
                break;
            case (Instance, "DELETE"):
                draft.SetQuery("accepts_incomplete", "true");
                draft.SetQuery("service_id", ServiceId);
                draft.SetQuery("plan_id", SmallPlanId);
                break;
            case (Binding, "PUT"):
                if (random.NextDouble() < 0.5) draft.SetQuery("accepts_incomplete", "true");
                draft.Json = new JsonObject { ["service_id"] = ServiceId, ["plan_id"] = SmallPlanId };
                var app = NewGuid(random).ToString();
                if (random.NextDouble() < 0.5) draft.Json["app_guid"] = app;
                else draft.Json["bind_resource"] = new JsonObject { ["app_guid"] = app };
                if (random.NextDouble() < 0.3) draft.Json["parameters"] = new JsonObject();
                break;
            case (Binding, "DELETE"):
                if (random.NextDouble() < 0.5) draft.SetQuery("accepts_incomplete", "true");
                draft.SetQuery("service_id", ServiceId);
                draft.SetQuery("plan_id", SmallPlanId);
                break;
            case ({ } template, "GET") when template.EndsWith("/last_operation"):
                if (random.NextDouble() < 0.3) draft.SetQuery("operation", NewGuid(random).ToString());
                break;
            case ("/admin/instances/{instanceId:guid}", "GET"):
                if (random.NextDouble() < 0.3) draft.SetQuery("version", random.Next(1, 10).ToString());
                else if (random.NextDouble() < 0.3) draft.SetQuery("at", Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-random.Next(100)).ToString("O")));
                break;
        }
        if (draft.Json is not null) draft.SetHeader("Content-Type", "application/json");
        else draft.Framing = Framing.None;
        return (endpoint, draft);
    }

    /// <summary>A reason the broker must refuse the request for; the last one applied to a part of it wins.</summary>
    private sealed record Breakage(string Name, Action<Random, Draft> Apply);

    private void Break(Random random, MappedEndpoint? endpoint, Draft draft, bool chunkedAllowed)
    {
        var breakages = Breakages(endpoint, draft, chunkedAllowed).ToList();
        // A method a route does not map (PUT /health/ready) changes nothing: a 405 is refusal enough.
        if (breakages.Count == 0) breakages.Add(new("odd query", (r, d) => d.SetQuery("x", Pick(r, OddQueryValues))));
        var breakage = breakages[random.Next(breakages.Count)];
        breakage.Apply(random, draft);
        draft.Shapes.Add(breakage.Name);
    }

    private IEnumerable<Breakage> Breakages(MappedEndpoint? endpoint, Draft draft, bool chunkedAllowed)
    {
        var template = endpoint?.Template;
        var osb = draft.Path.StartsWith("/v2");
        if (template?.StartsWith("/health/") != true)
        {
            yield return new("no credentials", (_, d) => d.SetHeader("Authorization", null));
            yield return new("wrong credentials", (r, d) => d.SetHeader("Authorization", Pick(r, [
                Basic(target.Username, "wrong"), Basic("other", target.Password), Basic(target.Username, target.Password + "x"),
                Basic(target.Username.ToUpperInvariant(), target.Password), Basic("", ""), Basic(target.Username + ":" + target.Password, ""),
                "Bearer " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{target.Username}:{target.Password}")),
                "Basic !!!not-base64!!!", "Basic", "Basic ", "Basic ====", "basic" + new string(' ', 40), "Digest username=\"x\"",
                "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{target.Username}{target.Password}")),
                "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("plätförm:pässwörd")), Draft.Utf8("Basic ünïcødé"),
                "Basic " + Convert.ToBase64String([0xff, 0xfe, 0x00, 0x3a, 0x80]), "Basic " + new string('A', 4000),
            ])));
            yield return new("request identity not printable ASCII", (r, d) => d.SetHeader("X-Broker-API-Request-Identity",
                Pick(r, [Draft.Utf8("café"), Draft.Utf8("日本語"), Draft.Utf8("🐘"), "tab\there", "\x7f", Draft.Utf8("\u00a0nbsp")])));
            yield return new("body over the limit (Content-Length)", (r, d) =>
            {
                d.PadTo = OverLimitSize(r);
                d.Framing = Framing.ContentLength;
                d.OverLimit = OverLimit.ByContentLength;
            });
        }
        if (osb)
        {
            yield return new("unsupported API version", (r, d) => d.SetHeader("X-Broker-API-Version",
                Pick(r, [null, "", "2.12", "2.18", "3.0", "2", "abc", Draft.Utf8("２.１７"), "2.17.1", "1.0", "-2.17", "99999999999.1", "2.17; q=1", "v2.17", "2.1.7"])));
            yield return new("malformed originating identity", (r, d) => d.SetHeader("X-Broker-API-Originating-Identity", Pick(r, [
                "cloudfoundry", "cloudfoundry !!!", "cloudfoundry " + B64("not json"), "cloudfoundry " + B64("[1,2]"), "a b c",
                "cloudfoundry " + B64("{\"user_id\":"), "kubernetes " + B64("\"str\""), "cloudfoundry " + B64("null"), " ", Draft.Utf8("cf 🐘"),
                "cloudfoundry " + B64("{\"a\":1,\"a\":2}") + "=",
            ])));
        }
        if (template is null) yield break;
        if (template.Contains("{instanceId}"))
            yield return new("instance id not a GUID", (r, d) => d.Path = ReplaceSegment(d.Path, 3, Pick(r, BadIds)));
        if (template.Contains("{bindingId}"))
            yield return new("binding id not a GUID", (r, d) => d.Path = ReplaceSegment(d.Path, 5, Pick(r, BadIds)));

        var body = (template, draft.Method) is (Instance, "PUT") or (Instance, "PATCH") or (Binding, "PUT");
        if (body)
        {
            foreach (var breakage in BodyBreakages(template, draft.Method)) yield return breakage;
            if (chunkedAllowed)
                yield return new("body over the limit (chunked)", (r, d) =>
                {
                    d.PadTo = OverLimitSize(r);
                    d.Framing = Framing.Chunked;
                    d.OverLimit = OverLimit.Chunked;
                });
        }
        switch (template, draft.Method)
        {
            case (Instance, "PUT"):
                yield return new("accepts_incomplete not true", (r, d) => d.SetQuery("accepts_incomplete", Pick(r, [null, "false", "maybe", "1", "", "yes", "%74rue%01"])));
                if (draft.Path.Contains(target.Instance.ToString()))
                    yield return new("provision over the existing instance with other attributes", (_, _) => { });
                break;
            case (Instance, "PATCH"):
                yield return new("unknown instance", (r, d) => d.Path = ReplaceSegment(d.Path, 3, NewGuid(r).ToString()));
                break;
            case (Instance, "DELETE"):
                yield return new("unknown instance", (r, d) => d.Path = ReplaceSegment(d.Path, 3, NewGuid(r).ToString()));
                yield return new("accepts_incomplete not true", (r, d) => d.SetQuery("accepts_incomplete", Pick(r, [null, "false", "maybe", "0"])));
                yield return new("service_id or plan_id missing", (r, d) => d.SetQuery(r.NextDouble() < 0.5 ? "service_id" : "plan_id", Pick(r, [null, ""])));
                break;
            case (Binding, "PUT"):
                yield return new("unknown instance", (r, d) => d.Path = ReplaceSegment(d.Path, 3, NewGuid(r).ToString()));
                if (draft.Path.Contains(target.Binding.ToString()))
                    yield return new("bind the existing binding with other attributes", (_, _) => { });
                yield return new("predecessor binding unknown or not a GUID", (r, d) =>
                    d.Json?["predecessor_binding_id"] = Pick(r, [NewGuid(r).ToString(), "not-a-guid", Pick(r, UnicodeText), ""]));
                break;
            case (Binding, "DELETE"):
                yield return new("unknown binding", (r, d) => d.Path = ReplaceSegment(d.Path, 5, NewGuid(r).ToString()));
                yield return new("unknown instance", (r, d) => d.Path = ReplaceSegment(d.Path, 3, NewGuid(r).ToString()));
                yield return new("service_id or plan_id missing", (r, d) => d.SetQuery(r.NextDouble() < 0.5 ? "service_id" : "plan_id", Pick(r, [null, ""])));
                break;
        }
        // GETs of the broker's own routes change nothing however they are asked; give them odd queries to chew on.
        if (draft.Method == "GET")
            yield return new("odd query", (r, d) =>
            {
                foreach (var name in new[] { "operation", "at", "version", "accepts_incomplete" })
                    if (r.NextDouble() < 0.5) d.SetQuery(name, Pick(r, OddQueryValues));
            });
    }

    private static readonly string[] OddQueryValues =
    [
        "", "x", "%00", "%ZZ", "%E2%98%83", "-1", "0", "99999999999999999999999", "2026-13-45T99:99:99Z", "2026-12-01T12:00:00Z",
        "9999-12-31T23:59:59%2B14:00", "0001-01-01T00:00:00Z", "2026-12-01T12:00:00-00:00", "1e309", "NaN", "true", "%7B%7D",
        Uri.EscapeDataString("ünïcødé"), "00000000-0000-0000-0000-000000000000", new string('9', 400),
    ];

    private IEnumerable<Breakage> BodyBreakages(string template, string method)
    {
        var instancePut = template == Instance && method == "PUT";
        var patch = method == "PATCH";
        var bind = template == Binding;
        yield return new("malformed JSON", (r, d) => d.Body = Malformed(r, d.BodyBytes()));
        yield return new("body not a JSON object", (r, d) => d.Body = Encoding.UTF8.GetBytes(Pick(r, ["null", "[]", "[{}]", "1", "\"x\"", "true", "", " ", "{}{}"])));
        yield return new("duplicate key", (r, d) =>
        {
            var json = d.Json!.ToJsonString();
            var duplicate = r.Next(3) switch
            {
                0 => $"\"service_id\":\"{ServiceId}\",",
                1 => $"\"service_id\":{(r.NextDouble() < 0.5 ? "1" : $"\"{NewGuid(r)}\"")},",
                _ => $"\"{(r.NextDouble() < 0.5 ? "parameters" : "context")}\":{{\"k\":1,\"k\":2}},",
            };
            d.Body = Encoding.UTF8.GetBytes(json.Insert(1, duplicate + (r.Next(3) == 0 ? $"\"context\":{{\"a\":{{\"b\":1,\"b\":1}}}}," : "")));
        });
        yield return new("invalid UTF-8 in a field", (r, d) =>
        {
            var field = Pick(r, [bind ? "plan_id" : "service_id", "context", "parameters"]);
            var marker = NewGuid(r).ToString("N");
            d.Json![field] = field == "service_id" || field == "plan_id" ? marker : new JsonObject { [r.NextDouble() < 0.5 ? "x" : marker] = marker };
            var bytes = d.BodyBytes();
            var text = Encoding.Latin1.GetString(bytes);
            d.Body = Encoding.Latin1.GetBytes(text.Replace(marker, Pick(r, ["\xc3\x28", "\xff\xfe", "\xed\xa0\x80", "\xc0\xaf", "abc\x80"])));
        });
        yield return new("field of the wrong type", (r, d) =>
        {
            string[] fields = instancePut ? ["service_id", "plan_id", "organization_guid", "space_guid", "parameters", "context", "maintenance_info"]
                : patch ? ["service_id", "plan_id", "parameters", "context", "maintenance_info"]
                : ["service_id", "plan_id", "app_guid", "bind_resource", "parameters", "context"];
            var field = Pick(r, fields);
            d.Json![field] = field is "parameters" or "context" or "maintenance_info" or "bind_resource"
                ? Pick<JsonNode>(r, [new JsonArray(1, 2), "a string", 42, true, new JsonArray()])
                : Pick<JsonNode>(r, [42, 1.5, true, new JsonArray("x"), new JsonObject { ["x"] = 1 }, -1e300]);
        });
        yield return new(instancePut || bind ? "required field missing or empty" : "service_id missing", (r, d) =>
        {
            var field = Pick<string>(r, instancePut ? ["service_id", "plan_id", "organization_guid", "space_guid"] : bind ? ["service_id", "plan_id"] : ["service_id"]);
            if (r.NextDouble() < 0.5) d.Json!.Remove(field);
            else d.Json![field] = r.NextDouble() < 0.5 ? "" : null;
        });
        yield return new("unknown service", (r, d) => d.Json!["service_id"] = Pick(r, [NewGuid(r).ToString(), "postgresql-on-demand", ServiceId.ToUpperInvariant(), Pick(r, UnicodeText)]));
        yield return new("unknown plan", (r, d) => d.Json!["plan_id"] = Pick(r, [NewGuid(r).ToString(), "dedicated-small", SmallPlanId + " ", Pick(r, UnicodeText), ServiceId]));
        yield return new("parameters outside the schema", (r, d) =>
        {
            JsonNode? value = bind
                ? new JsonObject { [Pick(r, ["x", "max_connections", "ünï", "\0"])] = 1 }
                : Pick<JsonNode?>(r, [
                    new JsonObject { ["max_connections"] = Pick<JsonNode?>(r, [5000, 9, "100", 10.5, -1, new JsonArray(), true, long.MaxValue]) },
                    new JsonObject { ["fsync"] = false }, new JsonObject { ["max_connections"] = 100, [Pick(r, UnicodeText)] = 1 },
                ]);
            if (!patch && r.NextDouble() < 0.2) value = new JsonObject { ["max_connections"] = null };
            d.Json!["parameters"] = value;
            if (r.NextDouble() < 0.3)
            {
                // Numbers no .NET type holds, written by hand: JsonNode would not keep them.
                var number = Pick(r, ["1e309", "-1e309", "123456789012345678901234567890", "1E+400", "0.0000000000000000000000000000000000001"]);
                d.Body = Encoding.UTF8.GetBytes(d.Json.ToJsonString().Replace("\"parameters\":{", $"\"parameters\":{{\"max_connections\":{number},\"max_connections_\":1,"));
            }
        });
        if (!bind)
            yield return new("maintenance_info version not the plan's", (r, d) =>
                d.Json!["maintenance_info"] = new JsonObject { ["version"] = Pick(r, ["2.0.0", "1.0.1", "0.9.9", "1.0.0-beta", "ünï", "1.0"]) });
        yield return new("U+0000 in a string", (r, d) =>
        {
            var nul = Pick(r, ["\0", "a\0b", "\0\0\0"]);
            var field = Pick<string>(r, instancePut ? ["organization_guid", "space_guid", "context"] : bind ? ["app_guid", "context"] : ["context"]);
            d.Json![field] = field == "context" ? new JsonObject { ["platform"] = "cloudfoundry", [r.NextDouble() < 0.5 ? "x" : nul] = nul } : nul;
        });
        yield return new("lone surrogate in a string", (r, d) =>
        {
            var field = instancePut ? Pick(r, ["organization_guid", "space_guid"]) : bind ? "app_guid" : "plan_id";
            var marker = NewGuid(r).ToString("N");
            d.Json![field] = marker;
            d.Body = Encoding.UTF8.GetBytes(d.Json.ToJsonString().Replace(marker, Pick(r, ["\\ud800", "\\udfff", "a\\ud800b", "\\udc00\\ud800"])));
        });
        yield return new("nesting deeper than JSON allows", (r, d) =>
        {
            var depth = r.Next(65, 5000);
            var field = Pick(r, ["parameters", "context", "unknown_field"]);
            var json = d.Json!.ToJsonString();
            d.Body = Encoding.UTF8.GetBytes(json.Insert(1, $"\"{field}\":{string.Concat(Enumerable.Repeat("{\"a\":", depth))}1{new string('}', depth)},"));
        });
    }

    /// <summary>Hostile shapes that are no reason to refuse a request by themselves; the breakage still is.</summary>
    private void Noise(Random random, MappedEndpoint? endpoint, Draft draft)
    {
        switch (random.Next(9))
        {
            case 0:
                draft.Shapes.Add("odd header");
                draft.Headers.Add(($"X-Fuzz-{random.Next(1000)}", Pick(random, [
                    Encoding.Latin1.GetString([.. Enumerable.Range(0, 16).Select(_ => (byte)random.Next(0x80, 0x100))]),
                    Draft.Utf8(Pick(random, UnicodeText)), new string('h', 4000), "", "\"quoted\"", "a,b,c", "=?utf-8?B?w7w=?="])));
                break;
            case 1:
                draft.Shapes.Add("many headers");
                for (var i = random.Next(10, 30); i > 0; i--) draft.Headers.Add(($"X-Many-{i}", i.ToString()));
                break;
            case 2:
                draft.Shapes.Add("odd content type");
                draft.SetHeader("Content-Type", Pick(random, [null, "text/plain", "application/json; charset=utf-16", "application/x-www-form-urlencoded",
                    Draft.Utf8("application/jsön"), "multipart/form-data; boundary=x", "*/*", ";;;"]));
                break;
            case 3:
                draft.Shapes.Add("junk query");
                draft.Query.Add(Pick(random, ["x=" + Uri.EscapeDataString(Pick(random, UnicodeText)), "%ZZ=1", "a[]=1&a[]=2", "&&&", "=", "%00=%00", "q=%E2%80%AE", new string('q', 2000) + "=1"]));
                break;
            case 4 when draft.Json is not null:
                draft.Shapes.Add("unknown fields");
                draft.Json[Pick(random, UnicodeText)] = Pick(random, UnicodeText);
                draft.Json["__proto__"] = new JsonObject { ["admin"] = true };
                draft.Json["nested"] = new JsonObject { ["deep"] = new JsonArray(new JsonObject { ["x"] = new string('x', random.Next(10_000)) }) };
                break;
            case 5:
                draft.Shapes.Add("odd request headers");
                draft.SetHeader(Pick(random, ["X-HTTP-Method-Override", "X-Forwarded-For", "X-Forwarded-Host", "If-None-Match", "Expect", "Accept", "Range"]),
                    Pick(random, ["DELETE", "127.0.0.1, ::1, 🐘", Draft.Utf8("évil.example"), "*", "W/\"x\", \"y\"", "100-continue", "bytes=0-0", "application/xml"]));
                break;
            case 6 when endpoint is not null:
                draft.Shapes.Add("path spelled differently");
                // Dot segments, spelled or percent-encoded, are resolved by Kestrel: ".." in place of a binding id names the
                // instance's own route (so they are noise here, never the reason a request must be refused).
                draft.Path = Pick(random, [draft.Path.ToUpperInvariant(), draft.Path + "/", draft.Path.Replace("/v2/", "/v2/./"), draft.Path.Replace("/v2/", "/v2/x/../"),
                    draft.Path.Replace("/v2/", "//v2//"), draft.Path.Replace("service_instances", "service%5Finstances"), draft.Path + "/%2e%2e",
                    draft.Path + "/..", draft.Path.Replace("/v2/", "/v2/%2E/")]);
                break;
            case 7 when draft.Json is not null:
                draft.Shapes.Add("byte order mark");
                draft.ByteOrderMark = true;
                break;
            default:
                draft.Shapes.Add("duplicate header");
                draft.Headers.Add(("X-Broker-API-Request-Identity", draft.Headers.FirstOrDefault(h => h.Name == "X-Broker-API-Request-Identity").Value ?? "dup"));
                break;
        }
    }

    /// <summary>HTTP that is itself broken or odd; Kestrel refuses most of it before the broker sees it.</summary>
    private static void MalformHttp(Random random, Draft draft)
    {
        var choice = random.Next(14);
        draft.Shapes.Add(choice switch
        {
            0 => "header line without a colon",
            1 => "header name with a space",
            2 => "folded header",
            3 => "control bytes in a header value",
            4 => "raw non-ASCII bytes in Authorization",
            5 => "bad Content-Length",
            6 => "bad chunk framing",
            7 => "odd protocol version",
            8 => "odd request target",
            9 => "no or two Host headers",
            10 => "headers over the limits",
            11 => "request line over the limit",
            12 => "Content-Length longer than the body",
            _ => "odd method",
        });
        switch (choice)
        {
            case 0: draft.Headers.Add(("", "X-Broken-Line-Without-Colon")); break;
            case 1: draft.Headers.Add(("X Fuzz", "1")); break;
            case 2: draft.Headers.Add(("X-Folded", "a\r\n  continued")); break;
            case 3: draft.Headers.Add(("X-Control", Pick(random, ["a\0b", "a\x01b", "\x1b[31mred", "a\rb"]))); break;
            case 4: draft.SetHeader("Authorization", "Basic " + Encoding.Latin1.GetString([0xff, 0xfe, 0xc3, 0x28, 0x80])); break;
            case 5:
            {
                var headers = Pick(random, new[]
                {
                    "Content-Length: abc", "Content-Length: -1", "Content-Length: {0}\r\nContent-Length: {1}", "Content-Length: {0}\r\nTransfer-Encoding: chunked",
                    "Content-Length: 99999999999999999999999", "Content-Length: {0}, {0}", "Transfer-Encoding: gzip", "Transfer-Encoding: chunked, identity",
                });
                draft.RawFraming = body => (string.Format(headers, body.Length, body.Length + 1), body);
                break;
            }
            case 6:
            {
                var framing = random.Next(7);
                draft.EndsEarly = true;
                draft.RawFraming = body =>
                {
                    var text = Encoding.Latin1.GetString(body);
                    return ("Transfer-Encoding: chunked", Encoding.Latin1.GetBytes(framing switch
                    {
                        0 => $"zz\r\n{text}\r\n0\r\n\r\n",
                        1 => $"{body.Length:x}\r\n{text}",
                        2 => $"ffffffffffffffffffff\r\n{text}\r\n0\r\n\r\n",
                        3 => $"{body.Length:x};ext=\"1\"\r\n{text}\r\n0\r\nTrailer: x\r\n\r\n",
                        4 => $"{body.Length + 5:x}\r\n{text}\r\n0\r\n\r\n",
                        5 => "-1\r\n\r\n",
                        _ => "0\r\n",
                    }));
                };
                break;
            }
            case 7: draft.Protocol = Pick(random, ["HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "HTTP/9.9", "http/1.1"]); break;
            case 8:
                draft.RawTarget = Pick(random, [$"http://{NewGuid(random):N}.example{draft.Target}", draft.Target.TrimStart('/'), draft.Target + "#frag",
                    draft.Target.Replace("/v2", "/v2 x"), draft.Target + "\xff\xfe", "*", draft.Target.Replace("/", "\\"), draft.Target + "%"]);
                break;
            case 9:
                if (random.NextDouble() < 0.5) draft.Host = false;
                else draft.Headers.Add(("Host", "evil.example"));
                break;
            case 10:
                if (random.NextDouble() < 0.5) draft.Headers.Add(("X-Huge", new string('h', 40 * 1024)));
                else for (var i = 0; i < 120; i++) draft.Headers.Add(($"X-Count-{i}", "1"));
                break;
            case 11: draft.Query.Add("pad=" + new string('p', 9 * 1024)); break;
            case 12:
            {
                var missing = random.Next(1, 1000);
                draft.EndsEarly = true;
                draft.RawFraming = body => ($"Content-Length: {body.Length + missing}", body);
                break;
            }
            default: draft.Method = Pick(random, ["get", "FOO", "PROPFIND", "TRACE", "CONNECT", "G\x01T", "PÜT"]); break;
        }
    }

    /// <summary>Just over the limit, or well over it.</summary>
    private int OverLimitSize(Random random) =>
        checked((int)(random.NextDouble() < 0.4 ? target.BodyLimit + 1 : target.BodyLimit + random.NextInt64(1, target.BodyLimit)));

    private static byte[] Malformed(Random random, byte[] valid)
    {
        var text = Encoding.UTF8.GetString(valid);
        return Encoding.UTF8.GetBytes(random.Next(9) switch
        {
            0 => text[..random.Next(0, Math.Max(1, text.Length - 1))],
            1 => text + Pick(random, ["}", "x", ",", "{}", "\0"]),
            2 => text.Replace("\":", "\"="),
            3 => text.Replace('"', '\''),
            4 => text.TrimEnd('}') + ",}",
            5 => "/* comment */" + text,
            6 => text.Replace(":\"", ":\"\x01"),
            7 => "{\"service_id\": NaN, \"plan_id\": undefined}",
            _ => Encoding.Latin1.GetString([.. Enumerable.Range(0, random.Next(1, 200)).Select(_ => (byte)random.Next(256))]),
        });
    }

    private static string ReplaceSegment(string path, int index, string value)
    {
        var segments = path.Split('/');
        segments[index] = value;
        return string.Join("/", segments);
    }

    /// <summary>A GUID from the request's own random sequence, so that the request is made again exactly from its seed.</summary>
    private static Guid NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Basic(string username, string password) => "Basic " + B64($"{username}:{password}");

    private static T Pick<T>(Random random, IReadOnlyList<T> values) => values[random.Next(values.Count)];
}
