// Apple-only: SwiftUI, never compiled on Linux (CI).
import SoftTokenUI
import SwiftUI

private struct StringsKey: EnvironmentKey {
    static let defaultValue = Strings(.ja)
}

extension EnvironmentValues {
    /// The screen texts in the user's language.
    var strings: Strings {
        get { self[StringsKey.self] }
        set { self[StringsKey.self] = newValue }
    }
}

/// Draws `content` with a model's latest state: copies `ModelState.updates()` into view state
/// (the models use no Observation/Combine, so they build on Linux).
struct Observing<Value: Sendable, Content: View>: View {
    let state: ModelState<Value>
    @ViewBuilder let content: (Value) -> Content
    @State private var latest: Value?

    var body: some View {
        content(latest ?? state.value)
            .task { for await value in state.updates() { latest = value } }
    }
}

/// Keeps one model for the life of a screen (made once, on first appearance).
struct Hosting<Model: AnyObject, Content: View>: View {
    let make: () -> Model?
    @ViewBuilder let content: (Model) -> Content
    @State private var model: Model?

    var body: some View {
        Group {
            if let model { content(model) } else { ProgressView() }
        }
        .onAppear { if model == nil { model = make() } }
    }
}

/// A full-width button at least 44 pt high.
struct WideButton: View {
    let title: String
    var role: ButtonRole?
    let action: () -> Void

    var body: some View {
        Button(role: role, action: action) {
            Text(title).frame(maxWidth: .infinity, minHeight: 44)
        }
        .buttonStyle(.borderedProminent)
    }
}

/// A failure's two lines and, if offered, 再送信. An icon as well as colour says "error".
struct NoticeView: View {
    @Environment(\.strings) private var strings
    let notice: Notice
    var retry: (() -> Void)?

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            Label(strings.text(notice.message), systemImage: "exclamationmark.triangle")
                .foregroundStyle(.red)
            if let next = notice.nextStep { Text(strings.text(next)) }
            if notice.canRetry, let retry {
                WideButton(title: strings.text(.errorRetry), action: retry)
            }
        }
        .accessibilityElement(children: .contain)
    }
}
