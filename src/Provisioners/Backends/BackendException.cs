namespace EventSourced.Provisioners.Backends;

/// <summary>A backend operation failed; the message says which one and why.</summary>
public sealed class BackendException(string message, Exception? inner = null) : Exception(message, inner);
