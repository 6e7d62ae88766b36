using System.Globalization;
using System.Net;
using System.Text;

namespace EventSourced.Bench.Reporting;

/// <summary>Horizontal bar pairs: each figure (dark) above its limit (light), scaled per pair, with the ratio printed.</summary>
public static class Svg
{
    public static string Chart(ScenarioResult scenario)
    {
        var rows = scenario.Comparisons.Where(c => c.Limit is > 0 && double.IsFinite(c.Value)).ToList();
        const int width = 860, label = 330, barMax = 380, rowHeight = 54, top = 36;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + rows.Count * rowHeight + 10}" font-family="sans-serif" font-size="12">""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="8" y="20" font-size="14" font-weight="bold">{Escape($"{scenario.Id}. {scenario.Title}")}</text>""");
        for (var i = 0; i < rows.Count; i++)
        {
            var c = rows[i];
            var y = top + i * rowHeight;
            var max = Math.Max(c.Value, c.Limit!.Value);
            var ratio = c.Ratio is { } r ? $"{r:P0} of limit" : "";
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="8" y="{y + 14}">{Escape(c.Name)}</text>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="8" y="{y + 36}" fill="#666">{Escape(c.LimitName)}</text>""");
            Bar(svg, label, y + 3, c.Value / max * barMax, "#2b6cb0", $"{Format(c.Value)} {c.Unit}");
            Bar(svg, label, y + 25, c.Limit.Value / max * barMax, "#a0aec0", $"{Format(c.Limit.Value)} {c.Unit}  ({ratio})");
        }
        return svg.Append("</svg>").ToString();
    }

    public static string Format(double value) => value switch
    {
        double.NaN => "n/a",
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("N1", CultureInfo.InvariantCulture),
        _ => value.ToString("N2", CultureInfo.InvariantCulture),
    };

    private static void Bar(StringBuilder svg, int x, int y, double length, string colour, string text) =>
        svg.Append(CultureInfo.InvariantCulture,
            $"""<rect x="{x}" y="{y}" width="{Math.Max(1, length):F1}" height="16" fill="{colour}"/><text x="{x + Math.Max(1, length) + 6:F1}" y="{y + 12}">{Escape(text)}</text>""");

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
