import SoftToken

/// What a screen says when a call failed: what happened, what to do next, and whether its
/// retry button re-sends the same request. The one place where a `SoftTokenError` becomes
/// screen text (the Compose screens decide the same, from the same table).
public struct Notice: Equatable, Sendable {
    /// What happened.
    public let message: Message
    /// What the user does next, if there is more to say.
    public let nextStep: Message?
    /// Whether the screen offers 再試行 (the same request again).
    public let canRetry: Bool
    /// Whether the screen links to the 機種変更 guide.
    public let showsPhoneChangeGuide: Bool

    init(
        _ message: WordKey, _ nextStep: WordKey?, arguments: [String: String] = [:],
        canRetry: Bool = false, showsPhoneChangeGuide: Bool = false
    ) {
        self.message = Message(message, arguments)
        self.nextStep = nextStep.map { Message($0) }
        self.canRetry = canRetry
        self.showsPhoneChangeGuide = showsPhoneChangeGuide
    }

    /// The notice for `error`, or for anything else thrown (as an internal error).
    public static func forError(_ error: Error) -> Notice {
        guard let error = error as? SoftTokenError else { return Notice(.errorOther, .errorOtherNext) }
        switch error {
        case let .wrongActivationPassword(attemptsLeft, _):
            // The provider answers the same for unknown IDs (it does not tell which part is
            // wrong), so the text names the IDs too.
            return Notice(
                .errorWrongPassword, .errorWrongPasswordNext, arguments: ["n": String(attemptsLeft)])
        case .activationLocked: return Notice(.errorLocked, .errorLockedNext)
        case .tokenExpired: return Notice(.errorExpired, .errorExpiredNext)
        case .tokenRevoked: return Notice(.errorRevoked, .errorRevokedNext)
        case .tokenReplaced:
            // Moved to a new phone: no code here, and the new phone is the one to use.
            return Notice(.codeUnavailable, .phoneAtHand4)
        case .alreadyActiveElsewhere:
            return Notice(
                .errorActiveElsewhere, .errorActiveElsewhereNext, showsPhoneChangeGuide: true)
        case .network: return Notice(.errorNetwork, .errorNetworkNext, canRetry: true)
        case .keystoreUnavailable: return Notice(.errorKeystore, .errorKeystoreNext, canRetry: true)
        case .invalidServiceId: return Notice(.errorInvalidServiceId, .errorInvalidIdsNext)
        case .invalidUserId: return Notice(.errorInvalidUserId, .errorInvalidIdsNext)
        case .clockImplausible: return Notice(.errorOther, .bannerClockSkewed)
        case .transactionExpired: return Notice(.txErrorExpired, nil)
        case .transactionDecided, .transactionNotFound: return Notice(.txErrorDecided, nil)
        case .possibleInterception: return Notice(.txErrorInterception, nil)
        case .tokenLocked: return Notice(.bannerLocked, nil)
        case .seedMissing: return Notice(.bannerNeedsResetup, nil)
        case .invalidInput, .tls, .protocol, .storageCorrupted, .tokenNotFound, .internal:
            return Notice(.errorOther, .errorOtherNext)
        }
    }
}
