/// The faces of one image swapped at the same time.
extension Swapper {
    /// Swaps `faces` into `image` on up to `threads` threads (0: every core), with the same result
    /// as swapping them one after another in the given order: faces whose working regions could
    /// touch (what swapFace reads and writes, with room to spare) are swapped one after another in
    /// that order, the others at the same time. With an error, the first failing face's (in
    /// order) is thrown, after the faces running at that moment have finished.
    public func swapFaces(_ source: Source?, _ faces: [Face], into image: Image, mask: Image? = nil,
                          threads: Int = 0) throws {
        let n = min(Threads.resolve(threads), faces.count)
        if n <= 1 {
            for face in faces { try swapFace(source, face, into: image, mask: mask) }
            return
        }
        let chains = Self.independentChains(faces.map { reach(of: $0, learned: source == nil) })
        try parallelFor(chains.count, threads: n) { c in
            for i in chains[c] { try self.swapFace(source, faces[i], into: image, mask: mask) }
        }
    }

    /// A generous bound of the pixels swapFace may read or write for this face: the landmarks'
    /// box raised by the forehead, grown by the feather and a negative erode (as swapFace pads its
    /// region), then by a further quarter of the face and 16 pixels. A learned source also reads
    /// the aligned crop around the face: grown by one face size more.
    func reach(of face: Face, learned: Bool) -> Rect {
        let pts = face.landmarks.isEmpty ? [Point(face.box.x, face.box.y), Point(face.box.x + face.box.width, face.box.y + face.box.height)]
                                         : face.landmarks
        var b = Rect.bounding(pts)
        let raise = max(0, options.forehead) * b.height
        b.y -= raise
        b.height += raise
        let s = max(b.width, b.height)
        let pad = (options.feather + max(0, -options.erode) + 0.25 + (learned ? 1 : 0)) * s + 16
        return Rect(x: b.x - pad, y: b.y - pad, width: b.width + 2 * pad, height: b.height + 2 * pad)
    }

    /// Groups of indices (each in increasing order) such that no region of one group overlaps a
    /// region of another; groups ordered by their first index.
    static func independentChains(_ regions: [Rect]) -> [[Int]] {
        var parent = Array(regions.indices)
        func root(_ i: Int) -> Int { var i = i; while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }; return i }
        for i in regions.indices {
            for j in regions.indices where j > i {
                let a = regions[i], b = regions[j]
                if a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height {
                    let ri = root(i), rj = root(j)
                    if ri != rj { parent[max(ri, rj)] = min(ri, rj) }
                }
            }
        }
        var groups: [Int: [Int]] = [:]
        for i in regions.indices { groups[root(i), default: []].append(i) }
        return groups.keys.sorted().map { groups[$0]! }
    }
}
