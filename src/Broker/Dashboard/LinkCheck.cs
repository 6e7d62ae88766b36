namespace EventSourced.Broker.Dashboard;

/// <summary>What a dashboard link's signature and expiry say about it; only <see cref="Valid"/> opens a page.</summary>
public enum LinkCheck { Valid, Invalid, Expired }
