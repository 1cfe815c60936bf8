using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// What a plugin's main assembly says about itself, read with System.Reflection.Metadata without
/// loading it: the assemblies it was compiled against (with their versions) and the types it defines.
/// </summary>
internal sealed record PluginAssemblyMetadata(IReadOnlyList<AssemblyName> References, IReadOnlyList<string> TypeNames)
{
    /// <exception cref="BadImageFormatException">Not a .NET assembly (native, empty, truncated or corrupt).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static PluginAssemblyMetadata Read(string path)
    {
        // An empty file (or anything that is not a regular file: a FIFO reports length 0) is never opened,
        // so reading it cannot block.
        if (new FileInfo(path).Length == 0)
        {
            throw new BadImageFormatException("empty file");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                throw new BadImageFormatException("no .NET metadata");
            }

            var metadata = pe.GetMetadataReader();
            var references = metadata.AssemblyReferences
                .Select(h => metadata.GetAssemblyReference(h))
                .Select(r => new AssemblyName { Name = metadata.GetString(r.Name), Version = r.Version })
                .ToArray();
            var types = metadata.TypeDefinitions
                .Select(h => FullName(metadata, metadata.GetTypeDefinition(h)))
                .Where(n => n != "<Module>")
                .ToArray();
            return new PluginAssemblyMetadata(references, types);
        }
        catch (InvalidOperationException ex)
        {
            // System.Reflection.Metadata reports some malformed tables this way.
            throw new BadImageFormatException(ex.Message, ex);
        }
    }

    private static string FullName(MetadataReader metadata, TypeDefinition type)
    {
        string name = metadata.GetString(type.Name);
        var declaring = type.GetDeclaringType();
        if (!declaring.IsNil)
        {
            return FullName(metadata, metadata.GetTypeDefinition(declaring)) + "+" + name;
        }

        string ns = metadata.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }
}
