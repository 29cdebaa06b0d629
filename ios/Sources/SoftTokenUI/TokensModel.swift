import Foundation
import SoftToken

/// A removal waiting for the user's confirmation.
public struct PendingRemoval: Equatable, Sendable {
    /// The token to remove.
    public let token: TokenInfo
    /// The dialog's title.
    public let title = Message(.tokensRemoveTitle)
    /// The dialog's warning: removal cannot be undone.
    public let warning = Message(.tokensRemoveWarning)
}

/// What the token list shows.
public struct TokensState: Equatable, Sendable {
    /// How many tokens a phone holds at most (the banks' limit).
    public static let maxTokens = 10

    /// Every token on this phone, oldest first.
    public var tokens: [TokenInfo] = []
    /// The removal being confirmed, if any.
    public var removal: PendingRemoval?
    /// The last failure, if any.
    public var notice: Notice?

    /// Whether another token may be added (banks allow up to `Self.maxTokens`).
    public var canAdd: Bool { tokens.count < Self.maxTokens }
    /// The status shown next to a token in the list (words, not only a colour).
    public static func statusLabel(_ status: TokenStatus) -> WordKey {
        switch status {
        case .pendingConfirmation: return .tokensStatusPending
        case .active: return .tokensStatusActive
        case .locked: return .tokensStatusLocked
        case .revoked: return .tokensStatusRevoked
        case .replaced: return .tokensStatusReplaced
        case .expired: return .tokensStatusExpired
        case .needsResetup: return .tokensStatusNeedsResetup
        }
    }

    /// Why adding is disabled, if it is.
    public var fullMessage: Message? {
        canAdd ? nil : Message(.tokensFull)
    }
}

/// The token list: several contracts on one phone, each with a label; rename; remove after a
/// confirmation that warns it cannot be undone.
@MainActor
public final class TokensModel {
    /// What the screen shows.
    public let state = ModelState(TokensState())
    private let client: SoftTokenClient

    /// The list of `client`'s tokens (call `reload()` to fill it).
    public init(client: SoftTokenClient) { self.client = client }

    /// Reads the list again.
    public func reload() {
        perform { state in state.tokens = try self.client.tokens() }
    }

    /// The longest label the core keeps; the rename field stops there.
    public static let maxLabelLength = 64

    /// Sets a token's label, cut to `maxLabelLength` characters (as the field allows); an empty
    /// or blank label clears it (the list then shows the IDs).
    public func rename(tokenId: String, label: String) {
        let trimmed = String(label.trimmingCharacters(in: .whitespaces).prefix(Self.maxLabelLength))
        perform { state in
            try self.client.rename(tokenId: tokenId, label: trimmed.isEmpty ? nil : trimmed)
            state.tokens = try self.client.tokens()
        }
    }

    /// 削除 tapped: asks for confirmation (nothing is removed yet).
    public func askRemove(tokenId: String) {
        guard let token = state.value.tokens.first(where: { $0.id == tokenId }) else { return }
        state.update { $0.removal = PendingRemoval(token: token) }
    }

    /// The confirmation's キャンセル: nothing is removed.
    public func cancelRemove() {
        state.update { $0.removal = nil }
    }

    /// The confirmation's 削除: removes the token (seed and metadata) for good.
    public func confirmRemove() {
        guard let removal = state.value.removal else { return }
        perform { state in
            state.removal = nil
            try self.client.remove(tokenId: removal.token.id)
            state.tokens = try self.client.tokens()
        }
    }

    /// Runs `change` on a copy of the state and publishes it, or the failure as a notice.
    private func perform(_ change: (inout TokensState) throws -> Void) {
        var next = state.value
        do {
            try change(&next)
            next.notice = nil
        } catch {
            next.notice = Notice.forError(error)
        }
        state.set(next)
    }
}
