import SoftToken

/// One ID field of 初期設定 as the user types: the text, the core's verdict (contract C1, the
/// same rule as the Compose screen) and what the field shows under itself.
public struct IdField: Equatable, Sendable {
    /// What the user typed, as typed.
    public let text: String
    /// The core's verdict on it.
    public let input: IdInputState

    /// Whether the ID is complete and valid (送信 may be enabled for this field).
    public var isComplete: Bool {
        if case .complete = input { return true }
        return false
    }

    /// The ID to send: the normalised text of a complete field.
    public var normalized: String? {
        if case let .complete(normalized) = input { return normalized }
        return nil
    }

    /// The error shown on the field now, before anything is sent (a typo, a letter where a
    /// digit goes, too long), or `nil`.
    public var error: Message? {
        guard case let .invalid(problem) = input else { return nil }
        switch problem {
        case let .tooLong(expectedLen, found):
            return Message(.fieldTooLong, ["expected": String(expectedLen), "found": String(found)])
        case let .notADigit(position):
            return Message(.fieldNotADigit, ["position": String(position)])
        case let .invalidCheckCharacter(position):
            return Message(.fieldInvalidCheckCharacter, ["position": String(position)])
        case .checkMismatch:
            return Message(.fieldCheckMismatch)
        }
    }

    /// A quiet hint while the ID is fine but short ("3 more characters"), or `nil`.
    public var hint: Message? {
        guard case let .incomplete(normalized, expectedLen) = input else { return nil }
        return Message(.fieldIncomplete, ["n": String(Int(expectedLen) - normalized.count)])
    }

    static func serviceId(_ text: String) -> IdField {
        IdField(text: text, input: checkServiceIdInput(text))
    }

    static func userId(_ text: String) -> IdField {
        IdField(text: text, input: checkUserIdInput(text))
    }
}

/// What 初期設定 shows. The password itself is not part of it (it stays in the model, and in
/// the view's own field), only whether one is typed.
public struct SetupState: Equatable, Sendable {
    /// サービスID.
    public var serviceId = IdField.serviceId("")
    /// ユーザID.
    public var userId = IdField.userId("")
    /// Whether a 利用開始パスワード is typed.
    public var hasPassword = false
    /// Whether the password is shown in clear (the show toggle); hidden at first.
    public var passwordVisible = false
    /// Whether activation is running (the progress indicator; the fields and 送信 are disabled).
    public var isBusy = false
    /// The last activation's failure, until the user edits a field or sends again.
    public var notice: Notice?

    /// Whether 送信 is enabled: both IDs complete and valid, a password typed, nothing running.
    public var canSend: Bool { serviceId.isComplete && userId.isComplete && hasPassword && !isBusy }
}

/// 初期設定: the three fields, 送信, the progress while activation runs, and what each failure
/// means.
@MainActor
public final class SetupModel {
    /// What the screen shows.
    public let state = ModelState(SetupState())
    /// Called with the token once it is set up (the app moves on to 初期設定完了).
    public var onActivated: ((TokenInfo) -> Void)?

    private var password = ""
    private let activate: (_ serviceId: String, _ userId: String, _ password: String) async throws
        -> TokenInfo

    /// A setup screen that activates through `client`.
    public convenience init(client: SoftTokenClient) {
        self.init { serviceId, userId, password in
            try await client.activate(
                serviceId: serviceId, userId: userId, activationPassword: password)
        }
    }

    /// A setup screen that activates with `activate` (the app's client call).
    public init(
        activate: @escaping (_ serviceId: String, _ userId: String, _ password: String)
            async throws -> TokenInfo
    ) {
        self.activate = activate
    }

    /// The サービスID field changed.
    public func setServiceId(_ typed: String) {
        state.update {
            $0.serviceId = .serviceId(typed)
            $0.notice = nil
        }
    }

    /// The ユーザID field changed.
    public func setUserId(_ typed: String) {
        state.update {
            $0.userId = .userId(typed)
            $0.notice = nil
        }
    }

    /// The 利用開始パスワード field changed.
    public func setPassword(_ typed: String) {
        password = typed
        state.update {
            $0.hasPassword = !typed.isEmpty
            $0.notice = nil
        }
    }

    /// The show/hide toggle of the password.
    public func togglePasswordVisible() {
        state.update { $0.passwordVisible.toggle() }
    }

    /// 送信: activates with the normalised IDs and the password; does nothing unless `canSend`.
    /// On success the password is forgotten and `onActivated` is called; on failure the notice
    /// says what happened and what to do.
    public func send() async {
        let current = state.value
        guard current.canSend, let serviceId = current.serviceId.normalized,
              let userId = current.userId.normalized
        else { return }
        state.update {
            $0.isBusy = true
            $0.notice = nil
        }
        do {
            let token = try await activate(serviceId, userId, password)
            password = ""
            state.update {
                $0.isBusy = false
                $0.hasPassword = false
            }
            onActivated?(token)
        } catch {
            let notice = Notice.forError(error)
            state.update {
                $0.isBusy = false
                $0.notice = notice
            }
        }
    }

    /// 再送信 (offered when the notice `canRetry`): the same request again.
    public func retry() async { await send() }
}
