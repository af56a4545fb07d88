using System.Text.RegularExpressions;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Finds a model that Python tools (<c>huggingface-cli download</c>, <c>from_pretrained</c>) already downloaded into the
/// local Hugging Face cache, offline, as <c>huggingface_hub</c> lays it out: <c>&lt;cache&gt;/models--org--name/refs/main</c>
/// holds the commit hash of the snapshot <c>&lt;cache&gt;/models--org--name/snapshots/&lt;hash&gt;/</c>, whose files are
/// (usually symbolic links to) the downloaded files. Every <c>FromPretrained</c> and <c>LoraAdapter.Load</c> of this library
/// takes either a folder or such a repository id.
/// </summary>
/// <remarks>
/// The caches searched, in order: <c>HF_HUB_CACHE</c> (or its older name <c>HUGGINGFACE_HUB_CACHE</c>), <c>HF_HOME/hub</c>,
/// <c>XDG_CACHE_HOME/huggingface/hub</c> and <c>~/.cache/huggingface/hub</c>, each where set and present. Nothing is downloaded.
/// </remarks>
public static partial class HuggingFaceCache
{
    /// <summary>
    /// <paramref name="directoryOrRepositoryId"/> itself when it is an existing folder; otherwise, when it has the form of a
    /// Hub repository id (<c>org/name</c> or <c>name</c>, optionally <c>@revision</c> with a branch, tag or commit hash), the
    /// snapshot folder of that repository in the first cache that has it.
    /// </summary>
    /// <param name="directoryOrRepositoryId">A local folder, or a repository id such as <c>Qwen/Qwen2.5-0.5B</c>.</param>
    /// <param name="what">What is looked for, for the error message (e.g. <c>Checkpoint</c>, <c>Adapter</c>).</param>
    /// <returns>A folder that exists.</returns>
    /// <exception cref="DirectoryNotFoundException">Neither a folder nor a cached repository; the message names the caches
    /// searched and the command that downloads the repository.</exception>
    public static string Resolve(string directoryOrRepositoryId, string what = "Checkpoint")
    {
        ArgumentException.ThrowIfNullOrEmpty(directoryOrRepositoryId);
        if (Directory.Exists(directoryOrRepositoryId)) return directoryOrRepositoryId;
        Match id = RepositoryId().Match(directoryOrRepositoryId);
        if (!id.Success)
            throw new DirectoryNotFoundException($"{what} directory '{directoryOrRepositoryId}' does not exist.");
        string repository = id.Groups["repo"].Value;
        string revision = id.Groups["revision"].Success ? id.Groups["revision"].Value : "main";
        IReadOnlyList<string> caches = CacheDirectories();
        foreach (string cache in caches)
            if (Snapshot(cache, repository, revision) is { } snapshot) return snapshot;
        string searched = caches.Count == 0 ? "none exists" : string.Join(", ", caches);
        throw new DirectoryNotFoundException(
            $"{what} '{directoryOrRepositoryId}' is neither a local folder nor in the Hugging Face cache (searched HF_HUB_CACHE, HF_HOME/hub, " +
            $"~/.cache/huggingface/hub: {searched}). There is no hub download here: download it first with " +
            $"`huggingface-cli download {repository}{(revision == "main" ? "" : " --revision " + revision)}` (or `hf download {repository}`), " +
            "or pass the path of a local folder.");
    }

    /// <summary>The Hugging Face hub caches that exist on this machine, in the order they are searched.</summary>
    public static IReadOnlyList<string> CacheDirectories()
    {
        var candidates = new List<string?>
        {
            Environment.GetEnvironmentVariable("HF_HUB_CACHE"),
            Environment.GetEnvironmentVariable("HUGGINGFACE_HUB_CACHE"),
            Environment.GetEnvironmentVariable("HF_HOME") is { Length: > 0 } home ? Path.Combine(home, "hub") : null,
            Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? Path.Combine(xdg, "huggingface", "hub") : null,
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } user ? Path.Combine(user, ".cache", "huggingface", "hub") : null,
        };
        return [.. candidates.OfType<string>().Where(c => c.Length > 0 && Directory.Exists(c)).Select(Path.GetFullPath).Distinct()];
    }

    /// <summary>The snapshot folder of <paramref name="repository"/> at <paramref name="revision"/> in one cache, or <c>null</c>.</summary>
    private static string? Snapshot(string cache, string repository, string revision)
    {
        string root = Path.Combine(cache, "models--" + repository.Replace("/", "--", StringComparison.Ordinal));
        string snapshots = Path.Combine(root, "snapshots");
        if (!Directory.Exists(snapshots)) return null;
        // A branch or tag names a file under refs/ that holds the commit hash; a commit hash names the snapshot itself.
        string reference = Path.Combine(root, "refs", revision);
        string commit = File.Exists(reference) ? File.ReadAllText(reference).Trim() : revision;
        string snapshot = Path.Combine(snapshots, commit);
        return commit.Length > 0 && !commit.Contains('/') && !commit.Contains('\\') && Directory.Exists(snapshot) ? snapshot : null;
    }

    // Hub ids: an optional owner, a name of letters, digits, '-', '_', '.', and an optional @revision; not a path.
    [GeneratedRegex(@"^(?<repo>(?:[A-Za-z0-9][A-Za-z0-9_.\-]*/)?[A-Za-z0-9][A-Za-z0-9_.\-]*)(?:@(?<revision>[A-Za-z0-9_.\-/]+))?$")]
    private static partial Regex RepositoryId();
}
