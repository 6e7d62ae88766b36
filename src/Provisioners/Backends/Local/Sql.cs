namespace EventSourced.Provisioners.Backends.Local;

/// <summary>Quoting for the statements that take no parameters (CREATE ROLE, CREATE DATABASE …).</summary>
internal static class Sql
{
    private const int MaxIdentifierBytes = 63;

    public static string Identifier(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('\0') || System.Text.Encoding.UTF8.GetByteCount(name) > MaxIdentifierBytes)
            throw new ArgumentException($"'{name}' is not a valid PostgreSQL name (1 to {MaxIdentifierBytes} bytes, no NUL)", nameof(name));
        return $"\"{name.Replace("\"", "\"\"")}\"";
    }

    // standard_conforming_strings is on (the default since 9.1): inside '…' only the quote itself needs doubling.
    public static string Literal(string value)
    {
        if (value.Contains('\0')) throw new ArgumentException("a string literal cannot contain NUL", nameof(value));
        return $"'{value.Replace("'", "''")}'";
    }
}
