import SoftToken

/// What a screen says when a call failed: what happened, what to do next, and whether its
/// retry button re-sends the same request. The one place where a `SoftTokenError` becomes
/// screen text (the Compose screens decide the same, from the same table).
public struct Notice: Equatable, Sendable {
    /// What happened.
    public let message: Message
    /// What the user does next.
    public let nextStep: Message
    /// Whether the screen offers 再送信 (the same request again).
    public let canRetry: Bool
    /// Whether the screen links to the 機種変更 guide.
    public let showsPhoneChangeGuide: Bool

    init(
        _ message: Message, _ nextStep: Message, canRetry: Bool = false,
        showsPhoneChangeGuide: Bool = false
    ) {
        self.message = message
        self.nextStep = nextStep
        self.canRetry = canRetry
        self.showsPhoneChangeGuide = showsPhoneChangeGuide
    }

    /// The notice for `error`.
    public static func forError(_ error: SoftTokenError) -> Notice {
        let contactBank = Message(.nextContactBank)
        let reissue = Message(.nextAskReissue)
        switch error {
        case let .wrongActivationPassword(attemptsLeft, _):
            // The provider answers the same for unknown IDs (it does not tell which part is
            // wrong), so the text names all three fields.
            return Notice(
                Message(.errorWrongPassword, ["n": String(attemptsLeft)]),
                Message(.nextWrongPassword))
        case .activationLocked: return Notice(Message(.errorActivationLocked), reissue)
        case .tokenExpired: return Notice(Message(.errorTokenExpired), reissue)
        case .tokenRevoked: return Notice(Message(.errorTokenRevoked), reissue)
        case .alreadyActiveElsewhere:
            return Notice(
                Message(.errorAlreadyActive), Message(.nextPhoneChange),
                showsPhoneChangeGuide: true)
        case .network:
            return Notice(Message(.errorNetwork), Message(.nextRetry), canRetry: true)
        case .keystoreUnavailable:
            return Notice(Message(.errorKeystore), Message(.nextRetry), canRetry: true)
        case .clockImplausible: return Notice(Message(.errorClock), Message(.nextFixClock))
        case .tls: return Notice(Message(.errorTls), contactBank)
        case .invalidServiceId, .invalidUserId, .invalidInput:
            return Notice(Message(.errorInvalidInput), Message(.errorInvalidInput))
        case .transactionExpired:
            return Notice(Message(.errorTransactionExpired), Message(.errorTransactionExpired))
        case .transactionDecided, .transactionNotFound:
            return Notice(Message(.errorTransactionDecided), Message(.noPendingTransactions))
        case .possibleInterception:
            return Notice(Message(.errorPossibleInterception), contactBank)
        case .tokenLocked: return Notice(Message(.bannerLocked), contactBank)
        case .seedMissing: return Notice(Message(.bannerNeedsResetup), Message(.setUpAgain))
        case .protocol, .storageCorrupted, .tokenNotFound, .internal:
            return Notice(Message(.errorOther), contactBank)
        }
    }
}
