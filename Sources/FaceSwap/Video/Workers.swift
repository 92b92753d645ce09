import CFaceShim
#if canImport(Glibc)
import Glibc
#endif

/// Threads for the video jobs and the faces of one frame: plain pthreads (the core has no
/// Foundation or Dispatch), a bounded blocking queue and a parallel loop.
public enum Threads {
    /// The cores this process may run on (its CPU affinity; at least 1).
    public static var cores: Int { Int(max(1, fsx_cpu_count())) }

    /// A `threads` option as a count: 0 means every core.
    public static func resolve(_ threads: Int) -> Int { threads <= 0 ? cores : threads }
}

/// A mutex with one condition variable (heap-allocated: pthread objects must not move).
final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }
    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
    /// Only while locked.
    func wait() { pthread_cond_wait(cond, mutex) }
    func broadcast() { pthread_cond_broadcast(cond) }
}

/// A first-in first-out queue of at most `capacity` items: push blocks while it is full, pop
/// while it is empty. close() ends it: pushes are refused and pops return what is left, then nil.
/// cancel() also drops what is left. A popped item is no longer held by the queue (a ring of
/// `capacity` slots, each emptied when read): the video job reuses a written frame's buffer only
/// when nothing else holds it.
final class BoundedQueue<T>: @unchecked Sendable {
    private let monitor = Monitor()
    private var slots: [T?]
    private var head = 0, count = 0
    private var closed = false
    private var cancelled = false

    init(capacity: Int) { slots = Array(repeating: nil, count: max(1, capacity)) }

    /// false: the queue was closed (the item is dropped).
    @discardableResult
    func push(_ item: T) -> Bool {
        monitor.locked {
            while !closed && count >= slots.count { monitor.wait() }
            if closed { return false }
            slots[(head + count) % slots.count] = item
            count += 1
            monitor.broadcast()
            return true
        }
    }

    /// Pushes `item` only if there is room now, without waiting; false: full or closed (dropped).
    @discardableResult
    func tryPush(_ item: T) -> Bool {
        monitor.locked {
            if closed || count >= slots.count { return false }
            slots[(head + count) % slots.count] = item
            count += 1
            monitor.broadcast()
            return true
        }
    }

    /// Only while locked, with count > 0.
    private func take() -> T {
        let item = slots[head]!
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        monitor.broadcast()
        return item
    }

    /// The next item; nil once the queue is closed and empty.
    func pop() -> T? {
        monitor.locked {
            while !closed && count == 0 { monitor.wait() }
            return count == 0 ? nil : take()
        }
    }

    /// The next item if there is one now (nil otherwise), without waiting.
    func tryPop() -> T? {
        monitor.locked { count == 0 ? nil : take() }
    }

    func close() { monitor.locked { closed = true; monitor.broadcast() } }

    /// cancel() was called.
    var isCancelled: Bool { monitor.locked { cancelled } }

    func cancel() {
        monitor.locked {
            closed = true
            cancelled = true
            for i in slots.indices { slots[i] = nil }
            head = 0
            count = 0
            monitor.broadcast()
        }
    }
}

/// A thread running one closure; join() waits for it.
final class Worker: @unchecked Sendable {
    private final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
    private var thread = pthread_t()
    private var joined = false

    /// Throws OUT_OF_MEMORY when the system cannot start a thread.
    init(_ body: @escaping () -> Void) throws {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let rc = pthread_create(&thread, nil, { arg in
            let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            b.body()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            joined = true
            throw FaceSwapError(.outOfMemory, "cannot start a thread: \(String(cString: strerror(rc)))")
        }
    }

    func join() {
        if joined { return }
        joined = true
        pthread_join(thread, nil)
    }

    deinit { join() }
}

/// Runs body(0..<count) on up to `threads` threads (the caller's among them) and rethrows the
/// error of the lowest index that failed, as a loop in order would (the other items still run).
func parallelFor(_ count: Int, threads: Int, _ body: @escaping (Int) throws -> Void) throws {
    let n = min(max(threads, 1), count)
    if n <= 1 {
        for i in 0..<count { try body(i) }
        return
    }
    let monitor = Monitor()
    var next = 0
    var errors: [(Int, Error)] = []
    let run = {
        while true {
            let i: Int = monitor.locked { defer { next += 1 }; return next }
            if i >= count { return }
            do { try body(i) } catch { monitor.locked { errors.append((i, error)) } }
        }
    }
    var workers: [Worker] = []
    for _ in 1..<n {
        guard let w = try? Worker(run) else { break }  // fewer threads: the loop still completes
        workers.append(w)
    }
    run()
    for w in workers { w.join() }
    if let first = errors.min(by: { $0.0 < $1.0 }) { throw first.1 }
}
