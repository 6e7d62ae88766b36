namespace EventSourced.Commands.Catalog;

internal static class CatalogRules
{
    public static List<string> Check(IReadOnlyList<ServiceOffering> services)
    {
        var problems = new List<string>();
        if (services.Count == 0) problems.Add("Catalog:Services is empty: configure at least one service offering.");
        foreach (var (service, i) in services.Select((s, i) => (s, i)))
        {
            var where = $"Catalog:Services:{i}";
            if (string.IsNullOrWhiteSpace(service.Id)) problems.Add($"{where}:Id is required.");
            if (string.IsNullOrWhiteSpace(service.Name)) problems.Add($"{where}:Name is required.");
            if (service.Plans.Count == 0) problems.Add($"{where}:Plans is empty.");
            foreach (var (plan, j) in service.Plans.Select((p, j) => (p, j)))
            {
                if (string.IsNullOrWhiteSpace(plan.Id)) problems.Add($"{where}:Plans:{j}:Id is required.");
                if (string.IsNullOrWhiteSpace(plan.Name)) problems.Add($"{where}:Plans:{j}:Name is required.");
                if (plan.DiskMb <= 0) problems.Add($"{where}:Plans:{j}:DiskMb must be positive.");
            }
        }
        var ids = services.Select(s => s.Id).Concat(services.SelectMany(s => s.Plans).Select(p => p.Id));
        problems.AddRange(ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => $"Id '{g.Key}' is used more than once."));
        return problems;
    }
}
