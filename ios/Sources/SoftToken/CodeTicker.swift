import Foundation

extension SoftTokenClient {
    /// The token's codes as they change: the current code at once, then each new code as its
    /// period starts (`remainingMs` tells the countdown how long each one lasts).
    ///
    /// The stream ends with a `SoftTokenError` when no code can be shown (revoked, expired,
    /// seed missing, …), and stops when the consuming task is cancelled.
    public func codes(tokenId: String) -> AsyncThrowingStream<OtpCode, Error> {
        AsyncThrowingStream { continuation in
            let ticker = Task {
                do {
                    while !Task.isCancelled {
                        let code = try currentCode(tokenId: tokenId)
                        continuation.yield(code)
                        // Wake just after the period ends, so the next read is the next code.
                        let wakeMs = UInt64(max(0, code.remainingMs)) + 20
                        try await Task.sleep(nanoseconds: wakeMs * 1_000_000)
                    }
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in ticker.cancel() }
        }
    }
}
