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
        var x0 = Double.infinity, y0 = Double.infinity, x1 = -Double.infinity, y1 = -Double.infinity
        for p in pts { x0 = min(x0, p.x); y0 = min(y0, p.y); x1 = max(x1, p.x); y1 = max(y1, p.y) }
        let h = y1 - y0
        y0 -= max(0, options.forehead) * h
        let s = max(x1 - x0, y1 - y0)
        let pad = (options.feather + max(0, -options.erode) + 0.25 + (learned ? 1 : 0)) * s + 16
        return Rect(x: x0 - pad, y: y0 - pad, width: x1 - x0 + 2 * pad, height: y1 - y0 + 2 * pad)
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
