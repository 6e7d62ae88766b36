using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging.Console;

namespace EventSourced.Broker.Logging;

/// <summary>
/// One JSON object a line on the console (ASP.NET Core's JSON formatter), for log collectors to index by field:
/// timestamp (UTC), level, category, message with its template's values, and the scopes (the OSB request identity, the
/// service instance, binding and operation a line is about; see <see cref="RequestLogScope"/> and the bus's
/// <c>LogScopeFilter</c>). <c>Logging:Console:FormatterName=simple</c> brings back the human-readable format.
/// Text is escaped for JSON only: a quote or an accent in a message stays readable to a grep.
/// </summary>
public static class JsonLogs
{
    public const string FormatterSetting = "Logging:Console:FormatterName";

    public static WebApplicationBuilder AddJsonLogs(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.JsonWriterOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        });
        if (string.IsNullOrWhiteSpace(builder.Configuration[FormatterSetting]))
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Json);
        return builder;
    }
}
