using System.Security.Cryptography;
using System.Text;

namespace EventSourced.Provisioners.Sagas;

/// <summary>
/// The message id of a step's command, derived from (operation, step, attempt): the saga re-sending a step on a
/// redelivery sends the same message, which the sub-provisioners' inbox recognises; only a nudge (a new attempt) sends a
/// new one.
/// </summary>
public static class StepMessageId
{
    public static Guid Of(Guid operationId, string step, int attempt)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{operationId:N}/{step}/{attempt}"), hash);
        var id = hash[..16];
        id[6] = (byte)((id[6] & 0x0F) | 0x80); // version 8: custom
        id[8] = (byte)((id[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(id, bigEndian: true);
    }
}
