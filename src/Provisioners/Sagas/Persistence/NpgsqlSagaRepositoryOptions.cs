namespace EventSourced.Provisioners.Sagas.Persistence;

/// <summary>Where one saga type is stored and which property of its JSON is copied to <c>current_state</c>.</summary>
internal sealed record NpgsqlSagaRepositoryOptions<TSaga>(string Table, string StateProperty);
