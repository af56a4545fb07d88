namespace Pama.FineTune.Reporting;

/// <summary>Writes a file so that a reader (or a crash) never sees it half written: temporary file in the same folder, then rename.</summary>
public static class AtomicFile
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="contents"/>.</summary>
    public static void WriteAllText(string path, string contents) => Write(path, temporary => File.WriteAllText(temporary, contents));

    /// <summary>Replaces <paramref name="path"/> with whatever <paramref name="write"/> writes to the temporary path it is given.</summary>
    public static void Write(string path, Action<string> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temporary = full + ".tmp";
        write(temporary);
        File.Move(temporary, full, overwrite: true);
    }
}
