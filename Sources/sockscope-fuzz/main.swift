// sockscope-fuzz: the fuzz targets of sockscope.
//
// Built normally, `sockscope-fuzz TARGET FILE_OR_DIR…` replays inputs (the committed
// corpus under Tests/Fuzz/TARGET) through TARGET: a smoke run for `make test`.
// Built by `make fuzz` (-sanitize=fuzzer,address -DFUZZING), it is a libFuzzer binary
// for the target named by SOCKSCOPE_FUZZ_TARGET.
import Glibc

func replay(target: String, paths: [String]) -> Int32 {
    guard let run = FuzzTargets.all[target] else {
        let names = FuzzTargets.all.keys.sorted().joined(separator: ", ")
        writeError("sockscope-fuzz: unknown target '\(target)' (targets: \(names))\n")
        return 64
    }
    var count = 0
    for path in paths {
        for file in files(at: path) {
            run(contents(of: file))
            count += 1
        }
    }
    print("\(target): \(count) inputs replayed, no crash")
    return 0
}

func files(at path: String) -> [String] {
    guard let directory = opendir(path) else { return [path] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if !name.hasPrefix(".") { names.append(path + "/" + name) }
    }
    return names.sorted()
}

func contents(of path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { return [] }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { return bytes }
        bytes += chunk[0..<count]
    }
}

func writeError(_ text: String) {
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

#if FUZZING
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let name = getenv("SOCKSCOPE_FUZZ_TARGET").map { String(cString: $0) } ?? "decoder"
        guard let data, let run = FuzzTargets.all[name] else { return 0 }
        run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    // swift-format-ignore: AlwaysUseLowerCamelCase
    // The C symbol libFuzzer exports: its name is fixed.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
#else
    let arguments = Array(CommandLine.arguments.dropFirst())
    guard let target = arguments.first, arguments.count >= 2 else {
        writeError("usage: sockscope-fuzz TARGET FILE_OR_DIRECTORY… (targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", ")))\n")
        exit(64)
    }
    exit(replay(target: target, paths: Array(arguments.dropFirst())))
#endif
