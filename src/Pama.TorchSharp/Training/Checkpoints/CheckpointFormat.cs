namespace Pama.TorchSharp.Training.Checkpoints;

/// <summary>
/// The layout of a checkpoint file: named sections behind a fixed header, a table of contents, and an
/// XxHash3 checksum of everything before it. All integers are little-endian.
/// </summary>
/// <remarks>
/// <code>
/// magic        BinaryWriter string "PAMA.NET trainer checkpoint"
/// version      int32 (<see cref="Version"/>)
/// payloads     the sections' bytes, back to back
/// contents     int32 count, then per section: name (int32 byte length + UTF-8), int64 offset, int64 length
/// trailer      int64 offset of the contents, uint64 XxHash3 of every byte before it
/// </code>
/// The table of contents sits at the end so that the writer streams each section once, without seeking
/// or buffering it. A reader verifies the checksum over the whole file before it interprets any section, so
/// a truncated or damaged file is refused before a single length read from it is trusted.
/// </remarks>
internal static class CheckpointFormat
{
    /// <summary>Identifies the file type.</summary>
    public const string Magic = "PAMA.NET trainer checkpoint";

    /// <summary>The format this version writes and reads. Format 1 (no checksum, no sections) is refused.</summary>
    public const int Version = 2;

    /// <summary>Byte length of the header: the length-prefixed magic (1 + 27 bytes) and the version.</summary>
    public const int HeaderLength = 1 + 27 + 4;

    /// <summary>Byte length of the trailer: contents offset and checksum.</summary>
    public const int TrailerLength = 8 + 8;

    /// <summary>Longest section or tensor name, in UTF-8 bytes.</summary>
    public const int MaxNameLength = 1024;

    /// <summary>Most sections in one file; far above what a trainer writes, low enough that a corrupt count cannot allocate.</summary>
    public const int MaxSections = 4096;
}
