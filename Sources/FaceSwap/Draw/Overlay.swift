import CFaceShim

/// Pictures for people: boxes and landmarks drawn on an image.
public enum Overlay {
    /// Draws each face's box (green), the detector's rectangle (blue) and its landmarks (red dots)
    /// onto a BGR8 image, in place; lines and dots grow with images over 800 px.
    public static func faces(_ faces: [Face], on image: Image) throws {
        guard image.format == .bgr8 else {
            throw FaceSwapError(.unsupported, "faces are drawn on BGR8 images; this one is \(image.format.name): convert it first")
        }
        let scale = max(1.0, Double(max(image.width, image.height)) / 800)
        for f in faces {
            var green: [UInt8] = [0, 220, 0], blue: [UInt8] = [255, 128, 0], red: [UInt8] = [0, 0, 255]
            try shim(fsx_draw_rect(image.view, f.box.x, f.box.y, f.box.width, f.box.height, &green, Int32(2 * scale)), "draw")
            try shim(fsx_draw_rect(image.view, f.rect.x, f.rect.y, f.rect.width, f.rect.height, &blue, Int32(scale)), "draw")
            let xy = f.landmarks.flatMap { [Float($0.x), Float($0.y)] }
            try shim(fsx_draw_points(image.view, xy, Int32(f.landmarks.count), 2 * scale, &red), "draw")
        }
    }
}
