using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Commands.Secrets;
using EventSourced.ServiceManager.Hosting;
using Microsoft.Extensions.Options;

namespace EventSourced.ServiceManager.Brokers;

/// <summary>What a broker answered: its status, body (as text; may be empty or not JSON) and Retry-After.</summary>
public sealed record BrokerAnswer(int Status, string Body, string? RetryAfter)
{
    public JsonObject? Json
    {
        get
        {
            try { return JsonNode.Parse(Body) as JsonObject; }
            catch (System.Text.Json.JsonException) { return null; }
        }
    }

    public bool Succeeded => Status is >= 200 and < 300;
}

/// <summary>A broker did not answer (refused, reset, timed out): the manager cannot know what it did.</summary>
public sealed class BrokerUnreachable(string message) : Exception(message);

/// <summary>
/// The manager's calls to brokers over OSB, as a platform: basic auth with the broker's registered credentials
/// (decrypted only for the call), <c>X-Broker-API-Version</c> and the identity headers the platform sent, each call bounded
/// by <see cref="ServiceManagerOptions.BrokerRequestTimeout"/>.
/// </summary>
public sealed class BrokerClient(IHttpClientFactory clients, SecretProtector secrets, IOptions<ServiceManagerOptions> options)
{
    public const string ApiVersion = "2.17";
    public const int MaxAnswerBytes = 4 * 1024 * 1024;

    public Task<BrokerAnswer> Send(Broker broker, HttpMethod method, string pathAndQuery, JsonObject? body, IEnumerable<KeyValuePair<string, string>>? headers,
        CancellationToken ct) =>
        Send(broker.Url, broker.Username, secrets.Unprotect(broker.EncryptedPassword), method, pathAndQuery, body, headers, ct);

    public async Task<BrokerAnswer> Send(string url, string username, string password, HttpMethod method, string pathAndQuery, JsonObject? body,
        IEnumerable<KeyValuePair<string, string>>? headers, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url.TrimEnd('/') + pathAndQuery);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        var hasVersion = false;
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
            hasVersion |= name.Equals("X-Broker-API-Version", StringComparison.OrdinalIgnoreCase);
        }
        if (!hasVersion) request.Headers.Add("X-Broker-API-Version", ApiVersion);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.BrokerRequestTimeout);
        try
        {
            using var response = await clients.CreateClient("brokers").SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var text = await ReadBounded(response, timeout.Token);
            return new BrokerAnswer((int)response.StatusCode, text, response.Headers.RetryAfter?.ToString());
        }
        catch (HttpRequestException e)
        {
            throw new BrokerUnreachable($"the broker at {url} did not answer: {e.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new BrokerUnreachable($"the broker at {url} did not answer within {options.Value.BrokerRequestTimeout}");
        }
    }

    private static async Task<string> ReadBounded(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxAnswerBytes) throw new HttpRequestException($"its answer is larger than {MaxAnswerBytes} bytes");
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
