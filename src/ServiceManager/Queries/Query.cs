using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace EventSourced.ServiceManager.Queries;

/// <summary>A literal of Peripli's query language: a quoted string, true/false, an integer or an ISO 8601 date-time.</summary>
public sealed record Literal(LiteralKind Kind, string Text)
{
    public DateTimeOffset Time => DateTimeOffset.Parse(Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    public decimal Number => decimal.Parse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}

public enum LiteralKind { String, Boolean, Integer, DateTime }

/// <summary>One predicate of a query: <c>operand op literal</c> or <c>operand in|notin (literals)</c>.</summary>
public sealed record Predicate(string Operand, string Operator, IReadOnlyList<Literal> Literals);

/// <summary>
/// Peripli's query language (<c>fieldQuery</c>, <c>labelQuery</c>): predicates joined by <c>and</c>, with the operators
/// eq, en, ne, gt, lt, ge, le, in, notin and contains. Parsed once per request; a malformed query is refused with the
/// offending part named (where it is in the query and what was expected there).
/// </summary>
public static class Query
{
    public static readonly string[] ComparisonOperators = ["eq", "en", "ne", "gt", "lt", "ge", "le", "contains"];
    public static readonly string[] ListOperators = ["in", "notin"];

    public sealed class Malformed(string message) : Exception(message);

    /// <exception cref="Malformed">Names the offending part.</exception>
    public static IReadOnlyList<Predicate> Parse(string query)
    {
        if (string.IsNullOrWhiteSpace(query)) throw new Malformed("the query is empty");
        var scanner = new Scanner(query);
        var predicates = new List<Predicate>();
        while (true)
        {
            predicates.Add(ParsePredicate(scanner));
            scanner.SkipSpaces();
            if (scanner.AtEnd) return predicates;
            var position = scanner.Position;
            var joiner = scanner.Word();
            if (joiner != "and") throw new Malformed($"expected 'and' or the end of the query at position {position}, found '{Excerpt(joiner)}'");
            scanner.SkipSpaces();
            if (scanner.AtEnd) throw new Malformed($"the query ends with 'and' at position {position}: a predicate must follow");
        }
    }

    private static Predicate ParsePredicate(Scanner scanner)
    {
        scanner.SkipSpaces();
        var position = scanner.Position;
        var operand = scanner.Word();
        if (operand.Length == 0) throw new Malformed($"expected a field or label name at position {position}");
        if (operand.Contains('\'') || operand.Contains('(') || operand.Contains(')'))
            throw new Malformed($"'{Excerpt(operand)}' at position {position} is not a field or label name");
        scanner.SkipSpaces();
        position = scanner.Position;
        var op = scanner.Word();
        if (ListOperators.Contains(op))
        {
            scanner.SkipSpaces();
            if (!scanner.Take('(')) throw new Malformed($"'{op}' at position {position} must be followed by a parenthesised list of literals");
            var literals = new List<Literal>();
            while (true)
            {
                scanner.SkipSpaces();
                literals.Add(ParseLiteral(scanner));
                scanner.SkipSpaces();
                if (scanner.Take(')')) break;
                if (!scanner.Take(','))
                    throw new Malformed($"expected ',' or ')' at position {scanner.Position} in the list of '{operand} {op}'");
            }
            return new Predicate(operand, op, literals);
        }
        if (!ComparisonOperators.Contains(op))
            throw new Malformed(op.Length == 0
                ? $"expected an operator after '{Excerpt(operand)}' at position {position}"
                : $"unknown operator '{Excerpt(op)}' at position {position} (one of {string.Join(", ", ComparisonOperators.Concat(ListOperators))})");
        scanner.SkipSpaces();
        var literal = ParseLiteral(scanner);
        if (op is "gt" or "lt" or "ge" or "le" && literal.Kind == LiteralKind.Boolean)
            throw new Malformed($"'{operand} {op}' compares with a boolean: {op} needs a string, integer or date-time");
        if (op == "contains" && literal.Kind != LiteralKind.String)
            throw new Malformed($"'{operand} contains' needs a quoted string");
        return new Predicate(operand, op, [literal]);
    }

    private static Literal ParseLiteral(Scanner scanner)
    {
        var position = scanner.Position;
        if (scanner.AtEnd) throw new Malformed($"expected a literal at position {position}, found the end of the query");
        if (scanner.Take('\''))
        {
            var text = new StringBuilder();
            while (true)
            {
                if (scanner.AtEnd) throw new Malformed($"the string starting at position {position} is not closed with '");
                var c = scanner.Next();
                if (c == '\'')
                {
                    if (scanner.Take('\'')) text.Append('\'');
                    else return new Literal(LiteralKind.String, text.ToString());
                }
                else text.Append(c);
            }
        }
        var word = scanner.Word(stopAt: ",)");
        if (word is "true" or "false") return new Literal(LiteralKind.Boolean, word);
        if (word.Length > 0 && (char.IsDigit(word[0]) || (word[0] is '+' or '-' && word.Length > 1)) && word.Skip(1).All(char.IsDigit)
            && decimal.TryParse(word, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            return new Literal(LiteralKind.Integer, word);
        if (word.Length >= 10 && DateTimeOffset.TryParse(word, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _) && word.Contains('-'))
            return new Literal(LiteralKind.DateTime, word);
        throw new Malformed(word.Length == 0
            ? $"expected a literal at position {position}"
            : $"'{Excerpt(word)}' at position {position} is not a literal: strings are quoted ('…', '' for a quote), booleans true/false, integers digits, date-times ISO 8601");
    }

    private static string Excerpt(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private sealed class Scanner(string text)
    {
        public int Position { get; private set; }
        public bool AtEnd => Position >= text.Length;
        public char Next() => text[Position++];

        public void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(text[Position])) Position++;
        }

        public bool Take(char c)
        {
            if (AtEnd || text[Position] != c) return false;
            Position++;
            return true;
        }

        public string Word(string stopAt = "")
        {
            var start = Position;
            while (!AtEnd && !char.IsWhiteSpace(text[Position]) && !stopAt.Contains(text[Position]) && (Position == start || text[Position] != '(')) Position++;
            return text[start..Position];
        }
    }
}

/// <summary>Evaluates parsed predicates against a resource's API representation.</summary>
public static class QueryEvaluation
{
    /// <summary>Field query: the item's field (a dotted path reaches into objects, e.g. <c>context.organization_guid</c>).</summary>
    public static bool Fields(JsonObject item, IReadOnlyList<Predicate> predicates) =>
        predicates.All(p => FieldHolds(Field(item, p.Operand), p));

    /// <summary>Label query: the item's <c>labels</c>.</summary>
    public static bool Labels(JsonObject item, IReadOnlyList<Predicate> predicates) =>
        predicates.All(p => LabelHolds((item["labels"] as JsonObject)?[p.Operand] as JsonArray, p));

    private static JsonNode? Field(JsonObject item, string path)
    {
        JsonNode? node = item;
        foreach (var part in path.Split('.')) node = (node as JsonObject)?[part];
        return node;
    }

    private static bool FieldHolds(JsonNode? value, Predicate p) => p.Operator switch
    {
        "eq" => value is not null && Matches(value, p.Literals[0]),
        "en" => value is null || Matches(value, p.Literals[0]),
        "ne" => value is null || !Matches(value, p.Literals[0]),
        "in" => value is not null && p.Literals.Any(l => Matches(value, l)),
        "notin" => value is null || !p.Literals.Any(l => Matches(value, l)),
        "contains" => value is JsonValue v && v.TryGetValue<string>(out var s) && s.Contains(p.Literals[0].Text, StringComparison.Ordinal),
        _ => value is not null && Compare(value, p.Literals[0]) is { } order && p.Operator switch
        {
            "gt" => order > 0, "lt" => order < 0, "ge" => order >= 0, _ => order <= 0,
        },
    };

    private static bool LabelHolds(JsonArray? values, Predicate p)
    {
        var texts = values?.Select(v => v?.GetValue<string>() ?? "").ToList();
        return p.Operator switch
        {
            "en" => texts is null || texts.Any(t => t == p.Literals[0].Text),
            _ when texts is null => false,
            "eq" => texts.Any(t => t == p.Literals[0].Text),
            "ne" => texts.All(t => t != p.Literals[0].Text),
            "in" => texts.Any(t => p.Literals.Any(l => l.Text == t)),
            "notin" => texts.All(t => p.Literals.All(l => l.Text != t)),
            "contains" => texts.Any(t => t.Contains(p.Literals[0].Text, StringComparison.Ordinal)),
            _ => texts.Any(t => Compare(JsonValue.Create(t), p.Literals[0]) is { } order && p.Operator switch
            {
                "gt" => order > 0, "lt" => order < 0, "ge" => order >= 0, _ => order <= 0,
            }),
        };
    }

    private static bool Matches(JsonNode value, Literal literal) => literal.Kind switch
    {
        LiteralKind.Boolean => value is JsonValue v && v.TryGetValue<bool>(out var b) && b == (literal.Text == "true"),
        _ => Compare(value, literal) == 0,
    };

    /// <summary>The order of a field's value against a literal of its kind; null when they are not comparable.</summary>
    private static int? Compare(JsonNode value, Literal literal)
    {
        if (value is not JsonValue v) return null;
        switch (literal.Kind)
        {
            case LiteralKind.String:
                return v.TryGetValue<string>(out var s) ? string.CompareOrdinal(s, literal.Text) : null;
            case LiteralKind.Integer:
                if (v.TryGetValue<decimal>(out var n)) return n.CompareTo(literal.Number);
                return v.TryGetValue<string>(out var ns) && decimal.TryParse(ns, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
                    ? parsed.CompareTo(literal.Number) : null;
            case LiteralKind.DateTime:
                return v.TryGetValue<string>(out var ds) && DateTimeOffset.TryParse(ds, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                    ? t.CompareTo(literal.Time) : null;
            default:
                return null;
        }
    }
}
