// swift-tools-version:5.9
//
// The SoftToken Swift package: the uniffi-generated bindings of `softtoken-ffi` (the Rust app
// core) and an idiomatic layer over them.
//
// | target | what |
// |---|---|
// | `SoftTokenFFIC` | the C side of the bindings: on Apple platforms the XCFramework built by `scripts/build-xcframework.sh`; on Linux the generated header and module map, linked against the host-built `libsofttoken_ffi.so` |
// | `SoftTokenFFI` | the generated Swift bindings (`cargo xtask bindings`; never edited) |
// | `SoftToken` | the idiomatic layer apps import: `SoftTokenClient`, `SoftTokenConfig`, `SoftTokenError`, `SecretStore`, `Clock`, `SoftTokenLibrary`, the code ticker, the Keychain store |
// | `SoftTokenUI` | the screens' state holders (what each screen shows and decides; the SwiftUI views in `App/` draw them) |
// | `SoftTokenTestSupport`, `SoftTokenTests`, `SoftTokenUITests`, `SoftTokenBench` | tests against the real provider and the benchmark (Linux, `cargo xtask swift`) |
import PackageDescription

#if os(Linux)
// Where `cargo xtask bindings` puts the library (override with SOFTTOKEN_FFI_LIB_DIR).
let ffiLibDir = Context.environment["SOFTTOKEN_FFI_LIB_DIR"]
    ?? Context.packageDirectory + "/../target/bindings/lib"
let ffiC: Target = .systemLibrary(name: "SoftTokenFFIC", path: "Sources/SoftTokenFFIC")
let ffiLinker: [LinkerSetting] = [
    .linkedLibrary("softtoken_ffi"),
    .unsafeFlags(["-L", ffiLibDir]),
]
#else
// Built on a Mac by `scripts/build-xcframework.sh`: static libraries for iOS device and
// simulator with the header and the merged `module.modulemap`.
let ffiC: Target = .binaryTarget(name: "SoftTokenFFIC", path: "build/SoftTokenFFIC.xcframework")
// A static library does not carry its link directives: the frameworks the Rust crates use
// (security-framework, core-foundation) are named here.
let ffiLinker: [LinkerSetting] = [.linkedFramework("Security"), .linkedFramework("CoreFoundation")]
#endif

let package = Package(
    name: "SoftToken",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "SoftToken", targets: ["SoftToken"]),
        .library(name: "SoftTokenUI", targets: ["SoftTokenUI"]),
    ],
    targets: [
        ffiC,
        .target(
            name: "SoftTokenFFI",
            dependencies: ["SoftTokenFFIC"],
            path: "Sources/SoftTokenFFI",
            linkerSettings: ffiLinker
        ),
        .target(
            name: "SoftToken",
            dependencies: ["SoftTokenFFI"],
            path: "Sources/SoftToken"
        ),
        .target(
            name: "SoftTokenUI",
            dependencies: ["SoftToken"],
            path: "Sources/SoftTokenUI"
        ),
        .target(
            name: "SoftTokenTestSupport",
            dependencies: ["SoftToken"],
            path: "Sources/SoftTokenTestSupport"
        ),
        .testTarget(
            name: "SoftTokenTests",
            dependencies: ["SoftToken", "SoftTokenTestSupport"],
            path: "Tests/SoftTokenTests"
        ),
        .testTarget(
            name: "SoftTokenUITests",
            dependencies: ["SoftToken", "SoftTokenUI", "SoftTokenTestSupport"],
            path: "Tests/SoftTokenUITests"
        ),
        .executableTarget(
            name: "SoftTokenBench",
            dependencies: ["SoftToken", "SoftTokenFFI", "SoftTokenTestSupport"],
            path: "Benchmarks/SoftTokenBench"
        ),
    ]
)
