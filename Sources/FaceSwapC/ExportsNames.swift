// The library describes itself: enum names (fs_enum_*) and every option's default and range
// (fs_option_*), from the core's tables (Core/Names.swift, Core/OptionTable.swift).
import CFaceSwapABI
import FaceSwap
#if canImport(Glibc)
import Glibc
#endif

func enumKind(_ k: fs_enum_kind) throws -> EnumKind {
    guard let kind = EnumKind(rawValue: Int32(bitPattern: k.rawValue)) else {
        throw invalid("kind \(Int32(bitPattern: k.rawValue)) is not an fs_enum_kind (FS_ENUM_STATUS … FS_ENUM_MODEL_KIND)")
    }
    return kind
}

func optionGroup(_ k: fs_options_kind) throws -> OptionGroup {
    guard let g = OptionGroup(rawValue: Int32(bitPattern: k.rawValue)) else {
        throw invalid("kind \(Int32(bitPattern: k.rawValue)) is not an fs_options_kind (FS_OPTIONS_DETECTOR … FS_OPTIONS_TRAIN)")
    }
    return g
}

/// Static C strings for the tables' texts: made once, kept for the process (callers never free them).
final class StaticStrings: @unchecked Sendable {
    private var table: [String: UnsafePointer<CChar>] = [:]
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func get(_ s: String) -> UnsafePointer<CChar> {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let p = table[s] { return p }
        let p = UnsafePointer(strdup(s)!)
        table[s] = p
        return p
    }
}
let staticStrings = StaticStrings()

@_cdecl("fs_enum_name")
public func _fs_enum_name(_ kind: fs_enum_kind, _ value: Int32) -> UnsafePointer<CChar>? {
    guard let k = EnumKind(rawValue: Int32(bitPattern: kind.rawValue)), let name = k.name(value) else { return nil }
    return staticStrings.get(name)
}

@_cdecl("fs_enum_parse")
public func _fs_enum_parse(_ kind: fs_enum_kind, _ name: UnsafePointer<CChar>?, _ value: UnsafeMutablePointer<Int32>?) -> fs_status {
    call("fs_enum_parse") {
        let k = try enumKind(kind)
        let n = try string(name, "name")
        let out = try required(value, "value")
        out.pointee = try k.parse(n)
    }
}

@_cdecl("fs_enum_value_at")
public func _fs_enum_value_at(_ kind: fs_enum_kind, _ index: Int, _ value: UnsafeMutablePointer<Int32>?,
                              _ count: UnsafeMutablePointer<Int>?) -> fs_status {
    call("fs_enum_value_at") {
        count?.pointee = 0
        let entries = try enumKind(kind).entries
        let out = try required(value, "value")
        let i = UInt(bitPattern: index)
        guard i < UInt(entries.count) else { throw invalid("index \(i) is outside 0–\(entries.count - 1)") }
        out.pointee = entries[Int(i)].value
        count?.pointee = entries.count
    }
}

extension fs_option_info: OutputStruct {
    static var typeName: String { "fs_option_info" }
    static var minSize: Int { leadingSize(\fs_option_info.type) }
}

func optionInfo(_ spec: OptionSpec) -> fs_option_info {
    var o = fs_option_info()
    o.type = fs_option_type(rawValue: UInt32(spec.type.rawValue))
    o.name = staticStrings.get(spec.name)
    o.summary = staticStrings.get(spec.summary)
    o.enum_kind = fs_enum_kind(rawValue: UInt32(spec.enumKind?.rawValue ?? 0))
    o.min_exclusive = spec.minExclusive ? 1 : 0
    o.max_exclusive = spec.maxExclusive ? 1 : 0
    o.has_special = spec.special == nil ? 0 : 1
    o.default_value = spec.defaultValue
    o.min = spec.min
    o.max = spec.max
    o.special = spec.special ?? 0
    o.default_string = spec.defaultString.map { staticStrings.get($0) }
    o.range_text = staticStrings.get(spec.rangeText)
    o.default_text = staticStrings.get(spec.defaultText)
    return o
}

@_cdecl("fs_option_describe")
public func _fs_option_describe(_ kind: fs_options_kind, _ index: Int, _ info: UnsafeMutablePointer<fs_option_info>?,
                                _ count: UnsafeMutablePointer<Int>?) -> fs_status {
    call("fs_option_describe") {
        count?.pointee = 0
        let specs = try optionGroup(kind).specs
        let out = try required(info, "info")
        let size = try outputSize(out, "info")!
        let i = UInt(bitPattern: index)
        guard i < UInt(specs.count) else { throw invalid("index \(i) is outside 0–\(specs.count - 1)") }
        writeOutput(optionInfo(specs[Int(i)]), out, declared: size)
        count?.pointee = specs.count
    }
}

@_cdecl("fs_option_find")
public func _fs_option_find(_ kind: fs_options_kind, _ name: UnsafePointer<CChar>?, _ info: UnsafeMutablePointer<fs_option_info>?) -> fs_status {
    call("fs_option_find") {
        let group = try optionGroup(kind)
        let n = try string(name, "name")
        let out = try required(info, "info")
        let size = try outputSize(out, "info")!
        guard let spec = group.spec(n) else {
            throw invalid("\(group.cStruct) has no option '\(n)': its options are \(group.specs.map(\.name).joined(separator: ", "))")
        }
        writeOutput(optionInfo(spec), out, declared: size)
    }
}

@_cdecl("fs_option_check")
public func _fs_option_check(_ kind: fs_options_kind, _ name: UnsafePointer<CChar>?, _ value: Double) -> fs_status {
    call("fs_option_check") {
        let group = try optionGroup(kind)
        let n = try string(name, "name")
        guard let spec = group.spec(n), spec.type != .string else {
            throw invalid("\(group.cStruct) has no number option '\(n)': its number options are " +
                          group.specs.filter { $0.type != .string }.map(\.name).joined(separator: ", "))
        }
        try spec.check(value, in: group)
    }
}
