import Foundation

/// The languages the screens speak: Japanese (the bank's manual) and English.
public enum Language: String, Sendable, CaseIterable {
    case ja, en

    /// Japanese when the user's preferred language is Japanese, else English.
    public static func preferred(_ identifiers: [String] = Locale.preferredLanguages) -> Language {
        identifiers.first?.hasPrefix("ja") == true ? .ja : .en
    }
}

/// A piece of screen text: the key of the wording table shared with the Compose screens
/// (`docs/screens/wording.md`, contract C4; the raw value is the key there). Models hand out keys (and their arguments), never
/// sentences, so what a screen says is decided and tested once and only the table is translated.
public enum WordKey: String, Sendable, CaseIterable {
    // Setup (初期設定)
    case setupTitle = "setup.title"
    case setupIntro = "setup.intro"
    case setupServiceId = "setup.service_id"
    case setupUserId = "setup.user_id"
    case setupPassword = "setup.password"
    case setupPasswordShow = "setup.password.show"
    case setupPasswordHide = "setup.password.hide"
    case setupSubmit = "setup.submit"
    case setupBusy = "setup.busy"
    case fieldIncomplete = "field.incomplete"
    case fieldTooLong = "field.too_long"
    case fieldNotADigit = "field.not_a_digit"
    case fieldInvalidCheckCharacter = "field.invalid_check_character"
    case fieldCheckMismatch = "field.check_mismatch"
    case errorWrongPassword = "error.wrong_password"
    case errorWrongPasswordNext = "error.wrong_password.next"
    case errorLocked = "error.locked"
    case errorLockedNext = "error.locked.next"
    case errorExpired = "error.expired"
    case errorExpiredNext = "error.expired.next"
    case errorRevoked = "error.revoked"
    case errorRevokedNext = "error.revoked.next"
    case errorActiveElsewhere = "error.active_elsewhere"
    case errorActiveElsewhereNext = "error.active_elsewhere.next"
    case errorInvalidServiceId = "error.invalid_service_id"
    case errorInvalidUserId = "error.invalid_user_id"
    case errorInvalidIdsNext = "error.invalid_ids.next"
    case errorNetwork = "error.network"
    case errorNetworkNext = "error.network.next"
    case errorRetry = "error.retry"
    case errorKeystore = "error.keystore"
    case errorKeystoreNext = "error.keystore.next"
    case errorOther = "error.other"
    case errorOtherNext = "error.other.next"
    // Setup done (初期設定完了)
    case doneTitle = "done.title"
    case doneBody = "done.body"
    case doneNext = "done.next"
    // One-time password (ワンタイムパスワード)
    case codeTitle = "code.title"
    case codeCopy = "code.copy"
    case codeCopied = "code.copied"
    case codeRemaining = "code.remaining"
    case codeSpoken = "code.spoken"
    case codeAnnounceRemaining = "code.announce.remaining"
    case codeAnnounceNew = "code.announce.new"
    case codeRefresh = "code.refresh"
    case codeTokens = "code.tokens"
    case codeTransactions = "code.transactions"
    case codePhoneChange = "code.phone_change"
    case codeUnavailable = "code.unavailable"
    case bannerPending = "banner.pending"
    case bannerRevoked = "banner.revoked"
    case bannerReplaced = "banner.replaced"
    case bannerLocked = "banner.locked"
    case bannerExpired = "banner.expired"
    case bannerNeedsResetup = "banner.needs_resetup"
    case bannerClockSkewed = "banner.clock_skewed"
    case bannerSetupAgain = "banner.setup_again"
    // Tokens (トークン一覧)
    case tokensTitle = "tokens.title"
    case tokensCount = "tokens.count"
    case tokensAdd = "tokens.add"
    case tokensFull = "tokens.full"
    case tokensLabel = "tokens.label"
    case tokensUnnamed = "tokens.unnamed"
    case tokensRename = "tokens.rename"
    case tokensSave = "tokens.save"
    case tokensCancel = "tokens.cancel"
    case tokensRemove = "tokens.remove"
    case tokensRemoveTitle = "tokens.remove.title"
    case tokensRemoveWarning = "tokens.remove.warning"
    case tokensRemoveConfirm = "tokens.remove.confirm"
    case tokensStatusPending = "tokens.status.pending"
    case tokensStatusActive = "tokens.status.active"
    case tokensStatusLocked = "tokens.status.locked"
    case tokensStatusRevoked = "tokens.status.revoked"
    case tokensStatusReplaced = "tokens.status.replaced"
    case tokensStatusExpired = "tokens.status.expired"
    case tokensStatusNeedsResetup = "tokens.status.needs_resetup"
    case tokensOpen = "tokens.open"
    // Transaction approval (取引認証)
    case txTitle = "tx.title"
    case txNone = "tx.none"
    case txPayee = "tx.payee"
    case txAmount = "tx.amount"
    case txApprove = "tx.approve"
    case txReject = "tx.reject"
    case txApproved = "tx.approved"
    case txRejected = "tx.rejected"
    case txCode = "tx.code"
    case txShowCode = "tx.show_code"
    case txOfflineTitle = "tx.offline.title"
    case txOfflineAccount = "tx.offline.account"
    case txOfflineAmount = "tx.offline.amount"
    case txOfflineGenerate = "tx.offline.generate"
    case txErrorExpired = "tx.error.expired"
    case txErrorDecided = "tx.error.decided"
    case txErrorInterception = "tx.error.interception"
    case txErrorInvalidInput = "tx.error.invalid_input"
    // Change phone (機種変更)
    case phoneTitle = "phone.title"
    case phoneIntro = "phone.intro"
    case phoneAtHandTitle = "phone.at_hand.title"
    case phoneAtHand1 = "phone.at_hand.1"
    case phoneAtHand2 = "phone.at_hand.2"
    case phoneAtHand3 = "phone.at_hand.3"
    case phoneAtHand4 = "phone.at_hand.4"
    case phoneLostTitle = "phone.lost.title"
    case phoneLost1 = "phone.lost.1"
    case phoneLost2 = "phone.lost.2"
    case phoneLost3 = "phone.lost.3"
    case phoneBack = "phone.back"
    // Common
    case commonBack = "common.back"
    case commonError = "common.error"
    case commonWarning = "common.warning"
    case commonInfo = "common.info"
}

/// The screen texts in one language.
public struct Strings: Sendable {
    /// Which language.
    public let language: Language

    /// The texts in `language`.
    public init(_ language: Language) { self.language = language }

    /// The text for `key`, with each `{name}` replaced by `arguments[name]`.
    public func text(_ key: WordKey, _ arguments: [String: String] = [:]) -> String {
        let entry = WordingTable.entries[key] ?? (ja: key.rawValue, en: key.rawValue)
        var text = language == .ja ? entry.ja : entry.en
        for (name, value) in arguments {
            text = text.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return text
    }

    /// The text of a model's `Message`.
    public func text(_ message: Message) -> String { text(message.key, message.arguments) }
}

/// A text a model decided on: its key and arguments (`{n}` → `"4"`).
public struct Message: Equatable, Sendable {
    /// Which text.
    public let key: WordKey
    /// Its arguments by name.
    public let arguments: [String: String]

    /// `key` with `arguments`.
    public init(_ key: WordKey, _ arguments: [String: String] = [:]) {
        self.key = key
        self.arguments = arguments
    }
}
