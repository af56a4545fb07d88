using System.Reflection;
using System.Runtime.InteropServices;

namespace Pama.Mpi;

/// <summary>
/// Points MPI.NET at the system's MPICH. MPI.NET imports MS-MPI's <c>msmpi</c>; MPICH shares MS-MPI's ABI
/// (integer handles, the same constants), so loading <c>libmpich.so.12</c> under that name is all it takes.
/// Open MPI's ABI differs (pointer handles) and is refused with a message rather than loaded.
/// </summary>
internal static class MpiLibrary
{
    /// <summary>Library names tried in order: Debian/Ubuntu's MPICH 3 and 4, then an unversioned MPICH.</summary>
    private static readonly string[] Candidates = ["libmpich.so.12", "libmpich.so"];

    private static readonly Lock Gate = new();
    private static bool _installed;

    /// <summary>Installs the import resolver once per process (a resolver can be set only once per assembly).</summary>
    public static void EnsureResolver()
    {
        lock (Gate)
        {
            if (_installed) return;
            NativeLibrary.SetDllImportResolver(typeof(MPI.Communicator).Assembly, Resolve);
            _installed = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!name.StartsWith("msmpi", StringComparison.OrdinalIgnoreCase)) return IntPtr.Zero;
        foreach (string candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle)) return handle;
        throw new DllNotFoundException(
            "MPICH was not found (tried " + string.Join(", ", Candidates) + "). Install it, e.g. on Debian/Ubuntu " +
            "`sudo apt-get install mpich`, and launch with `mpirun -np N dotnet app.dll`. Open MPI is not supported: its ABI differs from MS-MPI's, which MPI.NET expects.");
    }
}
