// Pictures for people: faces drawn on an image, images side by side, a face before | after.
import CFaceSwapABI
import FaceSwap

/// The caller's array of count faces (NULL allowed only when count is 0).
func faceArray(_ p: UnsafePointer<fs_face>?, _ count: Int, limit: Int = 100_000) throws -> [Face] {
    if count < 0 || count > limit { throw invalid("count \(UInt(bitPattern: count)) is outside 0–\(limit)") }
    if count == 0 { return [] }
    let faces = try required(p, "faces")
    return try (0..<count).map { try faces[$0].face() }
}

@_cdecl("fs_draw_faces")
public func _fs_draw_faces(_ h: OpaquePointer?, _ faces: UnsafePointer<fs_face>?, _ count: Int) -> fs_status {
    call("fs_draw_faces") {
        let img = try image(h)
        try Overlay.faces(try faceArray(faces, count), on: img)
    }
}

@_cdecl("fs_image_montage")
public func _fs_image_montage(_ images: UnsafePointer<OpaquePointer?>?, _ count: Int, _ height: Int32, _ gap: Int32,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_image_montage") {
        let o = try output(out)
        let limit = 64
        if count <= 0 || count > limit { throw invalid("count \(UInt(bitPattern: count)) is outside 1–\(limit)") }
        let p = try required(images, "images")
        let list = try (0..<count).map { try image(p[$0], "images[\($0)]") }
        guard height >= 0 && height <= Int32(FS_MAX_IMAGE_SIDE) else { throw invalid("height \(height) is outside 0–\(FS_MAX_IMAGE_SIDE)") }
        guard gap >= 0 && gap <= 4096 else { throw invalid("gap \(gap) is outside 0–4096") }
        publish(try Montage.sideBySide(list, height: height == 0 ? Montage.defaultHeight : Int(height), gap: Int(gap)), o)
    }
}

@_cdecl("fs_face_compare")
public func _fs_face_compare(_ before: OpaquePointer?, _ after: OpaquePointer?, _ face: UnsafePointer<fs_face>?,
                             _ out: UnsafeMutablePointer<OpaquePointer?>?) -> fs_status {
    call("fs_face_compare") {
        let o = try output(out)
        let f = try required(face, "face").pointee.face()
        publish(try Montage.faceCrop(before: try image(before, "before"), after: try image(after, "after"), face: f), o)
    }
}
