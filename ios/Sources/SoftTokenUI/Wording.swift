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
/// (`docs/screens/wording.md`, contract C4). Models hand out keys (and their arguments), never
/// sentences, so what a screen says is decided and tested once and only the table is translated.
public enum WordKey: String, Sendable, CaseIterable {
    // 初期設定
    case setupTitle = "setup_title"
    case serviceId = "service_id"
    case userId = "user_id"
    case activationPassword = "activation_password"
    case send = "send"
    case showPassword = "show_password"
    case hidePassword = "hide_password"
    case activating = "activating"
    case fieldIncomplete = "field_incomplete"
    case fieldTooLong = "field_too_long"
    case fieldNotADigit = "field_not_a_digit"
    case fieldInvalidCheckCharacter = "field_invalid_check_character"
    case fieldCheckMismatch = "field_check_mismatch"
    // Activation failures: what happened, then what to do next.
    case errorWrongPassword = "error_wrong_password"
    case nextWrongPassword = "next_wrong_password"
    case errorActivationLocked = "error_activation_locked"
    case errorTokenExpired = "error_token_expired"
    case errorTokenRevoked = "error_token_revoked"
    case nextAskReissue = "next_ask_reissue"
    case errorAlreadyActive = "error_already_active"
    case nextPhoneChange = "next_phone_change"
    case errorNetwork = "error_network"
    case nextRetry = "next_retry"
    case retry = "retry"
    case errorKeystore = "error_keystore"
    case errorClock = "error_clock"
    case nextFixClock = "next_fix_clock"
    case errorTls = "error_tls"
    case errorOther = "error_other"
    case nextContactBank = "next_contact_bank"
    // 初期設定完了
    case setupDoneTitle = "setup_done_title"
    case setupDoneBody = "setup_done_body"
    case next = "next"
    // ワンタイムパスワード
    case codeTitle = "code_title"
    case codeSpoken = "code_spoken"
    case copy = "copy"
    case copied = "copied"
    case secondsLeft = "seconds_left"
    case newCode = "new_code"
    case bannerPendingConfirmation = "banner_pending_confirmation"
    case bannerRevoked = "banner_revoked"
    case bannerReplaced = "banner_replaced"
    case bannerLocked = "banner_locked"
    case bannerExpired = "banner_expired"
    case bannerNeedsResetup = "banner_needs_resetup"
    case bannerClockOff = "banner_clock_off"
    case setUpAgain = "set_up_again"
    // Tokens
    case tokensTitle = "tokens_title"
    case label = "label"
    case rename = "rename"
    case remove = "remove"
    case removeConfirmTitle = "remove_confirm_title"
    case removeWarning = "remove_warning"
    case cancel = "cancel"
    case addToken = "add_token"
    case tokensFull = "tokens_full"
    // 取引認証
    case transactionsTitle = "transactions_title"
    case payee = "payee"
    case amount = "amount"
    case approve = "approve"
    case reject = "reject"
    case approved = "approved"
    case rejected = "rejected"
    case noPendingTransactions = "no_pending_transactions"
    case transactionCode = "transaction_code"
    case offlineTitle = "offline_title"
    case accountNumber = "account_number"
    case errorTransactionExpired = "error_transaction_expired"
    case errorTransactionDecided = "error_transaction_decided"
    case errorPossibleInterception = "error_possible_interception"
    case errorInvalidInput = "error_invalid_input"
    // 機種変更
    case phoneChangeTitle = "phone_change_title"
    case phoneChangeOldAtHand = "phone_change_old_at_hand"
    case phoneChangeOldLost = "phone_change_old_lost"
    case stepAskIssue = "step_ask_issue"
    case stepSetUpNew = "step_set_up_new"
    case stepConfirmNew = "step_confirm_new"
    case stepOldRetires = "step_old_retires"
    case stepBankRevokes = "step_bank_revokes"
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
