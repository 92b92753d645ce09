// fs_image: decode, wrap, convert, encode, save.
import CFaceSwapABI
import FaceSwap

func image(_ h: OpaquePointer?) throws -> Image { try Registry.shared.get(h, .image, as: Image.self) }

/// As image(h), the error naming the argument (for calls that take several images).
func image(_ h: OpaquePointer?, _ name: String) throws -> Image { try naming(name) { try image(h) } }

/// body's result; its error's message prefixed with "name: " (which argument was wrong).
func naming<T>(_ name: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as FaceSwapError {
        throw FaceSwapError(e.status, "\(name): \(e.message)")
    }
}

func publish(_ img: Image, _ out: UnsafeMutablePointer<OpaquePointer?>) {
    out.pointee = Registry.shared.add(img, .image)
}

/// Clears *out first, so a failing call leaves NULL there.
func output<T>(_ out: UnsafeMutablePointer<T?>?, _ name: String = "out") throws -> UnsafeMutablePointer<T?> {
    let o = try required(out, name)
    o.pointee = nil
    return o
}

func imageFromView(_ v: UnsafePointer<fs_image_view>?, copy: Bool) throws -> Image {
    let view = try required(v, "view").pointee
    if view.stride < 0 { throw invalid("stride \(UInt(bitPattern: view.stride)) is larger than any buffer") }
    return try Image(data: view.data, width: Int(view.width), height: Int(view.height), stride: view.stride,
                     format: try pixelFormat(view.format), copy: copy)
}

@_cdecl("fs_image_load")
public func _fs_image_load(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_image_load") {
        let o = try output(out)
        publish(try Image.load(path: try string(path, "path")), o)
    }
}

@_cdecl("fs_image_decode")
public func _fs_image_decode(_ data: UnsafeRawPointer?, _ size: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_image_decode") {
        let o = try output(out)
        if size < 0 { throw invalid("size \(UInt(bitPattern: size)) is larger than any buffer") }
        let bytes = try required(data, "data")
        publish(try Image.decode(UnsafeRawBufferPointer(start: bytes, count: size)), o)
    }
}

@_cdecl("fs_image_from_view")
public func _fs_image_from_view(_ v: UnsafePointer<fs_image_view>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_image_from_view") {
        let o = try output(out)
        publish(try imageFromView(v, copy: true), o)
    }
}

@_cdecl("fs_image_wrap")
public func _fs_image_wrap(_ v: UnsafePointer<fs_image_view>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_image_wrap") {
        let o = try output(out)
        publish(try imageFromView(v, copy: false), o)
    }
}

@_cdecl("fs_image_create")
public func _fs_image_create(_ w: Int32, _ h: Int32, _ f: fs_pixel_format, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_image_create") {
        let o = try output(out)
        publish(try Image(width: Int(w), height: Int(h), format: try pixelFormat(f)), o)
    }
}

@_cdecl("fs_image_convert")
public func _fs_image_convert(_ h: OpaquePointer?, _ f: fs_pixel_format, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_image_convert") {
        let o = try output(out)
        publish(try image(h).converted(to: try pixelFormat(f)), o)
    }
}

@_cdecl("fs_image_get_view")
public func _fs_image_get_view(_ h: OpaquePointer?, _ v: UnsafeMutablePointer<fs_image_view>?) -> fs_status {
    call("fs_image_get_view") {
        let v = try required(v, "view")
        let img = try image(h)
        v.pointee = fs_image_view(data: img.data, width: Int32(img.width), height: Int32(img.height), stride: img.stride,
                                  format: fs_pixel_format(rawValue: UInt32(img.format.rawValue)))
    }
}

@_cdecl("fs_image_encode")
public func _fs_image_encode(_ h: OpaquePointer?, _ codec: fs_codec, _ quality: Int32,
                             _ outData: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ outSize: UnsafeMutablePointer<Int>?) -> fs_status {
    call("fs_image_encode") {
        outData?.pointee = nil  // both cleared whichever argument is bad
        outSize?.pointee = 0
        let d = try output(outData, "out_data")
        let s = try required(outSize, "out_size")
        guard let c = Codec(rawValue: Int32(bitPattern: codec.rawValue)) else { throw FaceSwapError(.unsupported, "unknown codec \(codec.rawValue)") }
        let encoded = try image(h).encode(c, quality: Int(quality))
        s.pointee = encoded.count
        d.pointee = UnsafeMutableRawPointer(encoded.release())
    }
}

@_cdecl("fs_image_save")
public func _fs_image_save(_ h: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ codec: fs_codec, _ quality: Int32) -> fs_status {
    call("fs_image_save") {
        guard let c = Codec(rawValue: Int32(bitPattern: codec.rawValue)) else { throw FaceSwapError(.unsupported, "unknown codec \(codec.rawValue)") }
        try image(h).save(path: try string(path, "path"), codec: c, quality: Int(quality))
    }
}

@_cdecl("fs_image_free")
public func _fs_image_free(_ h: OpaquePointer?) { Registry.shared.remove(h, .image) }
