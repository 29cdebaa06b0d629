// `cargo xtask bench-ffi`: `currentCode` per call from Swift, through the idiomatic layer and
// through the generated object directly, with the seed in a Swift in-memory `SecretStore` (one
// foreign callback per call, as in the Rust benchmark "seed from an in-memory foreign store").
//
// Build with `-c release`. Needs the provider `cargo xtask` starts (one real activation).

import Foundation
import SoftToken
import SoftTokenFFI
import SoftTokenTestSupport

let callsPerRound = 100_000
let rounds = 7

func nanoseconds(_ body: () throws -> Void) rethrows -> UInt64 {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return DispatchTime.now().uptimeNanoseconds - start
}

/// Median ns/call over `rounds` rounds of `callsPerRound` calls, after one warm-up round.
func measure(_ name: String, _ call: () throws -> Void) rethrows {
    var perCall: [Double] = []
    for round in 0...rounds {
        let ns = try nanoseconds { for _ in 0..<callsPerRound { try call() } }
        if round > 0 { perCall.append(Double(ns) / Double(callsPerRound)) }
    }
    perCall.sort()
    let median = perCall[perCall.count / 2]
    let shown = perCall.map { String(format: "%.0f", $0) }.joined(separator: " ")
    print(String(format: "%@: %.0f ns/call (median of %d rounds of %d calls; rounds: %@)",
                 name, median, rounds, callsPerRound, shown))
}

/// A `MemorySecretStore` behind the generated callback interface, as the library's own (internal)
/// adapter puts an app's store: the generated object is measured with the same callbacks.
final class GeneratedStore: FfiSecretStore {
    let store = MemorySecretStore()

    func get(key: String) throws -> Data? { try store.get(key: key) }
    func set(key: String, value: Data) throws { try store.set(key: key, value: value) }
    func delete(key: String) throws { try store.delete(key: key) }
}

@main
struct Bench {
    static func main() async throws {
        guard let provider = try TestProvider.fromEnvironment() else {
            fatalError("no test provider: run `cargo xtask bench-ffi`")
        }
        let (client, token) = try await provider.activatedClient()
        let id = token.id

        var sink = 0
        try measure("SoftTokenClient.currentCode (Swift store)") {
            sink &+= try client.currentCode(tokenId: id).code.utf8.count
        }
        // The same call on the generated object, without the idiomatic layer.
        let issued2 = try provider.bank.issue(
            email: Fixtures.email, activationPassword: Fixtures.activationPassword)
        let raw = try SoftTokenFFI.SoftToken(
            config: CoreConfig(
                providerUrl: provider.url.absoluteString, providerCaPem: provider.caPem,
                dataDir: try provider.config(secretStore: nil).dataDir.path,
                device: DeviceInfo(platform: "ios", model: nil, appVersion: nil),
                secretStore: GeneratedStore(), clock: nil,
                connectTimeoutMs: 10_000, requestTimeoutMs: 30_000))
        let rawId = try await raw.activate(
            serviceId: provider.serviceId, userId: issued2.userId,
            activationPassword: Fixtures.activationPassword).id
        try measure("SoftTokenFFI.SoftToken.currentCode (Swift store)") {
            sink &+= try raw.currentCode(tokenId: rawId).code.utf8.count
        }
        // Baseline: the cheapest call across the FFI (a string back, no callback, no lock).
        measure("SoftTokenFFI.libraryVersion (FFI round trip baseline)") {
            sink &+= SoftTokenFFI.libraryVersion().utf8.count
        }
        if sink == 42 { print("") }
    }
}
