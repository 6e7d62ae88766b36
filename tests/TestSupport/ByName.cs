using Xunit.Abstractions;
using Xunit.Sdk;

namespace EventSourced.TestSupport;

/// <summary>
/// Runs a class's tests in the order of their method names (T1_…, T2_…): for a class whose tests build on one
/// deployment's history (the first upload of a stream, then its next versions). xUnit runs a class's tests one at a time.
/// </summary>
public sealed class ByName : ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal).ThenBy(t => t.DisplayName, StringComparer.Ordinal);
}
