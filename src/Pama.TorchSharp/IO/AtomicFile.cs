namespace Pama.TorchSharp.IO;

/// <summary>
/// Writes a file so that readers see either the old file or the complete new one: the content goes to
/// a temporary file in the same directory, is flushed to disk, and then renamed over the target
/// (an atomic replace on POSIX file systems). If writing fails the temporary file is removed and the
/// previous file is left as it was. Checkpoints, safetensors files and model configurations all go through it;
/// it is public so that applications write their own reports and logs the same way.
/// </summary>
public static class AtomicFile
{
    /// <summary>Replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given (creating the directory).</summary>
    /// <param name="path">Target file.</param>
    /// <param name="write">Writes the whole content; the stream is flushed to disk afterwards.</param>
    /// <exception cref="IOException">Writing or renaming failed; the previous file is unchanged and no temporary file is left.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' has no directory.", nameof(path));
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="contents"/> as UTF-8 (no byte-order mark).</summary>
    /// <param name="path">Target file.</param>
    /// <param name="contents">The text.</param>
    public static void WriteAllText(string path, string contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(contents);
        });
    }
}
