namespace EventSourced.Commands.ServiceInstances;

/// <summary>What an instance is made of, from its plan: which sub-provisioners its operations run.</summary>
public enum InstanceShape
{
    /// <summary>Its own storage, server and database (the <c>dedicated-*</c> plans).</summary>
    Dedicated,

    /// <summary>Its own storage and server, no database: a home for child databases (the <c>cluster-*</c> plans).</summary>
    Cluster,

    /// <summary>A database with its own owner role on its cluster's server, nothing else (the <c>database</c> plan).</summary>
    ClusterDatabase,

    /// <summary>
    /// Its own storage and server, no database, bindable: apps bind to the server itself (a provisioner without a database
    /// step, e.g. Redis; each binding is a user of the server).
    /// </summary>
    Server,
}
