using System.Reflection;
using System.Reflection.Emit;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Tests.EventStore.TestEvents;

namespace EventSourced.Commands.Tests.EventStore;

public sealed class EventTypeRegistryTests
{
    private static readonly EventTypeRegistry Registry = EventTypeRegistry.FromAssemblies(typeof(WidgetOrdered).Assembly);

    [Fact]
    public void FromAssemblies_RegistersEventRecordsUnderTheirNames()
    {
        Assert.Equal("WidgetShipped", Registry.NameOf(typeof(WidgetShipped)));
        Assert.Equal(typeof(WidgetShipped), Registry.TypeOf("WidgetShipped"));
    }

    [Fact]
    public void NameOf_UnregisteredType_ThrowsNamingTheType()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Registry.NameOf(typeof(string)));

        Assert.Contains("System.String", error.Message);
        Assert.Contains("not a registered event type", error.Message);
    }

    [Fact]
    public void TypeOf_UnknownName_ThrowsNamingTheName()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Registry.TypeOf("WidgetMelted"));

        Assert.Contains("'WidgetMelted'", error.Message);
    }

    [Fact]
    public void FromAssemblies_SameNameInTwoNamespaces_ThrowsNamingBoth()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("DuplicateEvents"), AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule("DuplicateEvents");
        foreach (var name in new[] { "Billing.WidgetOrdered", "Shipping.WidgetOrdered" })
            module.DefineType(name, TypeAttributes.Public | TypeAttributes.Sealed, typeof(object), [typeof(IDomainEvent)]).CreateType();

        var error = Assert.Throws<InvalidOperationException>(() => EventTypeRegistry.FromAssemblies(assembly));

        Assert.Contains("Billing.WidgetOrdered", error.Message);
        Assert.Contains("Shipping.WidgetOrdered", error.Message);
    }
}
