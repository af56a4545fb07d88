using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>
/// The tests that force garbage collections in a tight loop run alone: the collections reach every thread of the test
/// process, and the other test classes are not written to survive them (only the library's code paths are).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ForcedCollectionsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Forced garbage collections";
}
