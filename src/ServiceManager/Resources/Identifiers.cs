namespace EventSourced.ServiceManager.Resources;

/// <summary>Ids a client may choose (platforms, brokers, OSB instance and binding ids): they become stream keys and URL segments.</summary>
public static class Identifiers
{
    public const int MaxLength = 100;

    public static bool Valid(string id) =>
        id.Length is > 0 and <= MaxLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && id is not "." and not "..";

    public static string Rule(string what) => $"{what} must be 1 to {MaxLength} characters of letters, digits, '-', '_' or '.'";
}
