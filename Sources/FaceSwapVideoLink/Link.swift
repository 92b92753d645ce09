// Empty on purpose. SwiftPM links every product with swiftc, which adds the Swift runtime
// (libswiftCore.so, swiftrt.o) even to a product of C++ only, and passes a C++ target's unsafe
// linker flags through -Xlinker. This Swift target's own flags reach swiftc as they are:
// -static-stdlib -nostartfiles leave libfaceswap-video.so with no Swift runtime at all (nothing in
// it uses one). See Package.swift.
